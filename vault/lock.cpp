#include "vault/lock.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "platform/file_io.hpp"
#include "platform/file_lock.hpp"
#include "platform/path_text.hpp"
#include "platform/process_info.hpp"
#include "platform/test_hooks.hpp"

namespace ssoescrow::vault {
namespace {

// The ids of the locks this process holds. A lock that names this host and this process's id but
// is not among them was written by an earlier process that had the same id: process ids are
// reused (on Windows soon, and under Wine the next process often gets the very one of the
// process that just died), so its holder is gone.
class HeldLockIds {
  public:
    static HeldLockIds& instance() {
        static HeldLockIds ids;
        return ids;
    }
    void add(const std::string& id) {
        const std::lock_guard guard(m_mutex);
        m_ids.insert(id);
    }
    void remove(const std::string& id) {
        const std::lock_guard guard(m_mutex);
        m_ids.erase(id);
    }
    bool contains(const std::string& id) {
        const std::lock_guard guard(m_mutex);
        return m_ids.count(id) != 0;
    }

  private:
    std::mutex m_mutex;
    std::set<std::string> m_ids;
};

bool holder_is_gone(const LockInfo& info) {
    if (info.pid == platform::current_process_id())
        return !HeldLockIds::instance().contains(info.id);
    return platform::process_state(info.pid) == platform::ProcessState::dead;
}

constexpr std::string_view k_magic_line = "ssoescrow-lock 1";
constexpr std::string_view k_magic_prefix = "ssoescrow-lock ";
constexpr std::int64_t k_max_time = 253402300799;  // 9999-12-31T23:59:59Z
constexpr std::int64_t k_max_pid = 2147483647;
constexpr std::size_t k_max_host = 253;
constexpr std::size_t k_max_operation = 32;
constexpr std::size_t k_id_hex_digits = 32;

// Strict decimal: digits only, no sign, no leading zero (except "0"), at most `max`.
bool parse_decimal(std::string_view text, std::int64_t max, std::int64_t& out) {
    if (text.empty() || text.size() > 19)
        return false;
    if (text.size() > 1 && text[0] == '0')
        return false;
    std::int64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return false;
        const int digit = c - '0';
        if (value > (max - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    out = value;
    return true;
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

bool valid_host(std::string_view host) {
    return !host.empty() && host.size() <= k_max_host &&
           std::all_of(host.begin(), host.end(), is_host_char);
}

bool valid_operation(std::string_view op) {
    return !op.empty() && op.size() <= k_max_operation &&
           std::all_of(op.begin(), op.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
           });
}

bool valid_id(std::string_view id) {
    return id.size() == k_id_hex_digits && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string format_age(std::int64_t seconds) {
    if (seconds < 60)
        return std::to_string(seconds) + "s";
    if (seconds < 3600) {
        return std::to_string(seconds / 60) + "m " + std::to_string(seconds % 60) + "s";
    }
    if (seconds < 86400) {
        return std::to_string(seconds / 3600) + "h " + std::to_string(seconds % 3600 / 60) + "m";
    }
    return std::to_string(seconds / 86400) + "d " + std::to_string(seconds % 86400 / 3600) + "h";
}

path lock_dir_of(const path& vault_dir) {
    return vault_dir / k_lock_dir_name;
}
path lock_file_in(const path& lock_dir) {
    return lock_dir / k_lock_file_name;
}

Clock& clock_of(const LockOptions& options) {
    return options.clock != nullptr ? *options.clock : system_clock();
}

std::string host_of(const LockOptions& options) {
    return options.host.empty() ? local_host_name() : options.host;
}

Status validate_options(const LockOptions& options) {
    if (!valid_operation(options.operation)) {
        return make_error(Errc::internal, "lock operation name '" + options.operation +
                                              "' is not 1..32 characters of [a-z0-9-]");
    }
    if (options.ttl.count() < 1 || options.ttl.count() > k_lock_max_ttl_seconds) {
        return make_error(Errc::invalid_argument,
                          "lock ttl of " + std::to_string(options.ttl.count()) +
                              " seconds is outside 1.." + std::to_string(k_lock_max_ttl_seconds));
    }
    if (options.max_clock_skew.count() < 0 || options.wait.count() < 0 ||
        options.poll_interval.count() < 1) {
        return make_error(Errc::invalid_argument,
                          "lock clock skew and wait must not be negative, poll interval positive");
    }
    if (!options.host.empty() && !valid_host(options.host)) {
        return make_error(Errc::internal, "lock host name '" + options.host + "' is not valid");
    }
    return {};
}

// Reads the lock file. std::nullopt when there is none.
Result<std::optional<LockInfo>> read_lock_file(const path& lock_file) {
    Result<Bytes> bytes = platform::read_file(lock_file, k_lock_file_max_size);
    if (!bytes) {
        if (bytes.error().code == Errc::not_found)
            return std::optional<LockInfo>{};
        if (bytes.error().code == Errc::limit_exceeded) {
            Error error = std::move(bytes).error();
            error.code = Errc::parse;
            error.message = "malformed lock file " + platform::path_to_utf8(lock_file) +
                            ": larger than " + std::to_string(k_lock_file_max_size) + " bytes";
            error.hint =
                "if no ssoescrow job is running on any host, remove it with 'ssoescrow vault "
                "unlock --vault " +
                platform::path_to_utf8(lock_file.parent_path().parent_path()) + " --force'";
            return error;
        }
        return std::move(bytes).error();
    }
    const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    Result<LockInfo> info = parse_lock(text, platform::path_to_utf8(lock_file));
    if (!info) {
        Error error = std::move(info).error();
        error.hint =
            "if no ssoescrow job is running on any host, remove it with 'ssoescrow vault "
            "unlock --vault " +
            platform::path_to_utf8(lock_file.parent_path().parent_path()) + " --force'";
        return error;
    }
    return std::optional<LockInfo>(std::move(info).value());
}

LockStatus judge(LockInfo info, const LockOptions& options, std::int64_t now) {
    LockStatus status;
    status.same_host = info.host == host_of(options);
    status.in_future = info.refreshed > now + k_lock_future_tolerance_seconds;
    status.age_seconds = std::max<std::int64_t>(0, now - info.refreshed);
    status.state = LockState::live;
    if (status.same_host && holder_is_gone(info)) {
        status.state = LockState::stale_dead;
    } else if (!status.in_future) {
        const std::int64_t allowed =
            info.ttl_seconds + (status.same_host ? 0 : options.max_clock_skew.count());
        if (status.age_seconds > allowed)
            status.state = LockState::stale_expired;
    }
    status.info = std::move(info);
    return status;
}

std::string describe_holder(const LockStatus& status) {
    std::string text = "host " + status.info.host + " pid " + std::to_string(status.info.pid) +
                       " (" + status.info.operation + ", last refreshed " +
                       format_age(status.age_seconds) + " ago";
    if (status.in_future)
        text += ", but its time stamp is in the future of this host's clock";
    return text + ")";
}

Error locked_error(const LockStatus& status, const path& vault_dir, const LockOptions& options) {
    std::string message =
        "vault " + platform::path_to_utf8(vault_dir) + " is locked by " + describe_holder(status);
    std::string hint;
    if (status.same_host) {
        hint =
            "wait for that job to finish (or use a longer wait); if it hangs, stop it: the lock "
            "of a process that no longer exists is taken over automatically";
    } else {
        const std::int64_t limit = status.info.ttl_seconds + options.max_clock_skew.count();
        hint = "wait for that job to finish; if " + status.info.host +
               " is down, the lock can be taken over once it has not been refreshed for " +
               format_age(limit) +
               ", or, if you are sure no job runs there, remove it with 'ssoescrow vault unlock "
               "--vault " +
               platform::path_to_utf8(vault_dir) + " --force'";
        if (status.in_future)
            hint += "; check the clocks of both hosts (NTP)";
    }
    return make_error(Errc::locked, std::move(message), std::move(hint));
}

// An exclusive lock on locks/writer.guard for the duration of a short critical section.
Result<platform::ExclusiveFileLock> take_guard(const path& lock_dir) {
    return platform::ExclusiveFileLock::acquire(lock_dir / k_lock_guard_name);
}

Error lock_lost_error(const path& lock_file, const std::optional<LockInfo>& now_there) {
    std::string message = "lost the vault lock " + platform::path_to_utf8(lock_file) + ": ";
    if (now_there) {
        message += "it is now held by host " + now_there->host + " pid " +
                   std::to_string(now_there->pid) + " (" + now_there->operation + ")";
    } else {
        message += "the lock file was removed";
    }
    return make_error(Errc::lock_lost, std::move(message),
                      "this job was suspended or too slow and another job or an operator took "
                      "the lock over; nothing was committed by this run, run it again");
}

Error with_read_only_wording(Error error, const path& vault_dir) {
    if (error.code == Errc::read_only) {
        error.message =
            "vault is read-only: cannot create its lock in " + platform::path_to_utf8(vault_dir);
        error.hint =
            "backup, prune and other writing commands need a writable vault; list, "
            "check, status and restore work on a read-only copy";
    }
    return error;
}

}  // namespace

// --- Lock file format ---

Result<LockInfo> parse_lock(std::string_view text, std::string_view what) {
    const std::string where(what);
    auto bad = [&](std::size_t line, const std::string& why) {
        return make_error(Errc::parse, "malformed lock file " + where + ": line " +
                                           std::to_string(line) + ": " + why);
    };
    if (text.size() > k_lock_file_max_size) {
        return make_error(Errc::parse, "malformed lock file " + where + ": larger than " +
                                           std::to_string(k_lock_file_max_size) + " bytes");
    }
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        if (newline == std::string_view::npos) {
            return bad(lines.size() + 1, "missing final newline");
        }
        lines.push_back(text.substr(0, newline));
        text.remove_prefix(newline + 1);
        if (lines.size() > 8)
            return bad(lines.size(), "more than 8 lines");
    }
    if (lines.empty())
        return make_error(Errc::parse, "malformed lock file " + where + ": empty");
    if (lines[0] != k_magic_line) {
        std::int64_t version = 0;
        if (lines[0].substr(0, k_magic_prefix.size()) == k_magic_prefix &&
            parse_decimal(lines[0].substr(k_magic_prefix.size()), k_max_pid, version)) {
            return make_error(
                Errc::unsupported_version,
                "lock file " + where + ": unsupported version " + std::to_string(version),
                "a newer ssoescrow holds this vault's lock; use that version");
        }
        return bad(1, "not a lock file (expected \"ssoescrow-lock 1\")");
    }
    static constexpr std::array<std::string_view, 7> k_keys = {
        "id", "host", "pid", "operation", "started", "refreshed", "ttl"};
    if (lines.size() != 8)
        return bad(lines.size() + 1, "missing field " + std::string(k_keys[lines.size() - 1]));
    std::array<std::string_view, 7> values;
    for (std::size_t i = 0; i < k_keys.size(); ++i) {
        const std::string_view line = lines[i + 1];
        const std::string_view key = k_keys[i];
        if (line.size() <= key.size() || line.substr(0, key.size()) != key ||
            line[key.size()] != ' ') {
            return bad(i + 2, "expected field " + std::string(key));
        }
        values[i] = line.substr(key.size() + 1);
    }
    LockInfo info;
    if (!valid_id(values[0]))
        return bad(2, "id must be 32 lower-case hex digits");
    info.id = std::string(values[0]);
    if (!valid_host(values[1]))
        return bad(3, "host must be 1..253 characters of [A-Za-z0-9._-]");
    info.host = std::string(values[1]);
    if (!parse_decimal(values[2], k_max_pid, info.pid) || info.pid < 1) {
        return bad(4, "pid must be a decimal number 1..2147483647");
    }
    if (!valid_operation(values[3]))
        return bad(5, "operation must be 1..32 characters of [a-z0-9-]");
    info.operation = std::string(values[3]);
    if (!parse_decimal(values[4], k_max_time, info.started)) {
        return bad(6, "started must be decimal Unix seconds up to year 9999");
    }
    if (!parse_decimal(values[5], k_max_time, info.refreshed)) {
        return bad(7, "refreshed must be decimal Unix seconds up to year 9999");
    }
    if (!parse_decimal(values[6], k_lock_max_ttl_seconds, info.ttl_seconds) ||
        info.ttl_seconds < 1) {
        return bad(8, "ttl must be 1..604800 seconds");
    }
    return info;
}

std::string serialise_lock(const LockInfo& info) {
    std::string out;
    out.reserve(256);
    out.append(k_magic_line).append("\n");
    out.append("id ").append(info.id).append("\n");
    out.append("host ").append(info.host).append("\n");
    out.append("pid ").append(std::to_string(info.pid)).append("\n");
    out.append("operation ").append(info.operation).append("\n");
    out.append("started ").append(std::to_string(info.started)).append("\n");
    out.append("refreshed ").append(std::to_string(info.refreshed)).append("\n");
    out.append("ttl ").append(std::to_string(info.ttl_seconds)).append("\n");
    return out;
}

std::string local_host_name() {
    std::string host = platform::host_name();
    if (host == "unknown-host")
        host.clear();
    for (char& c : host) {
        if (!is_host_char(c))
            c = '_';
    }
    if (host.size() > k_max_host)
        host.resize(k_max_host);
    if (host.empty())
        host = "unknown-host";
    return host;
}

// --- Inspection and breaking ---

Result<std::optional<LockStatus>> read_lock_status(const path& vault_dir,
                                                   const LockOptions& options) {
    TRY(validate_options(options));
    TRY_ASSIGN(std::optional<LockInfo> info, read_lock_file(lock_file_in(lock_dir_of(vault_dir))));
    if (!info)
        return std::optional<LockStatus>{};
    return std::optional<LockStatus>(judge(std::move(*info), options, clock_of(options).now()));
}

Result<BrokenLock> break_lock(const path& vault_dir, BreakMode mode, const LockOptions& options) {
    TRY(validate_options(options));
    const path lock_dir = lock_dir_of(vault_dir);
    const path lock_file = lock_file_in(lock_dir);
    TRY_ASSIGN(const platform::FileStatus st, platform::file_status(lock_file));
    if (st.kind == platform::FileKind::missing) {
        return make_error(Errc::not_found,
                          "vault " + platform::path_to_utf8(vault_dir) + " is not locked",
                          "there is no lock to remove");
    }
    TRY_ASSIGN(platform::ExclusiveFileLock guard, take_guard(lock_dir));
    Result<std::optional<LockInfo>> current = read_lock_file(lock_file);
    BrokenLock broken;
    if (!current) {
        // A lock file that cannot be parsed can only be removed by force.
        if (mode != BreakMode::force || (current.error().code != Errc::parse &&
                                         current.error().code != Errc::unsupported_version)) {
            return std::move(current).error();
        }
        broken.malformed = true;
        broken.forced = true;
    } else if (!current->has_value()) {
        return make_error(Errc::not_found,
                          "vault " + platform::path_to_utf8(vault_dir) + " is not locked",
                          "there is no lock to remove");
    } else {
        broken.previous = judge(std::move(**current), options, clock_of(options).now());
        if (broken.previous.state == LockState::live) {
            if (mode != BreakMode::force)
                return locked_error(broken.previous, vault_dir, options);
            broken.forced = true;
        }
    }
    TRY(platform::remove_file_durably(lock_file));
    return broken;
}

// --- WriterLock ---

namespace {

// Temp files of lock writes (create, take-over, refresh) by a run killed between writing the temp
// file and renaming it. Each holds the lock text of its writer: one written on this host by a
// process that is gone is provably abandoned, whatever its age, and removing it returns `vault
// check` to clean right after the recovery. Anything else (unreadable, another host's, a live or
// reused pid) is left to the age rule of remove_stale_temp_files. Called only while holding the
// lock; best effort, since a leftover costs a warning and never correctness.
void remove_abandoned_lock_temp_files(const path& lock_dir, const std::string& host) {
    std::vector<path> abandoned;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(lock_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        if (!platform::is_temp_name(platform::path_to_utf8(it->path().filename())))
            continue;
        const Result<platform::FileStatus> st = platform::file_status(it->path());
        if (!st || st->kind != platform::FileKind::regular || !st->owned_by_current_user)
            continue;
        const Result<Bytes> bytes = platform::read_file(it->path(), k_lock_file_max_size);
        if (!bytes)
            continue;
        const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
        const Result<LockInfo> info = parse_lock(text, platform::path_to_utf8(it->path()));
        if (!info || info->host != host || info->pid == platform::current_process_id())
            continue;
        if (platform::process_state(info->pid) == platform::ProcessState::dead)
            abandoned.push_back(it->path());
    }
    for (const path& file : abandoned)
        (void)platform::remove_file_durably(file);
}

}  // namespace

Result<WriterLock> WriterLock::acquire(const path& vault_dir, const LockOptions& options) {
    TRY(validate_options(options));
    const path lock_dir = lock_dir_of(vault_dir);
    const path lock_file = lock_file_in(lock_dir);
    Clock& clock = clock_of(options);
    const std::string host = host_of(options);

    if (Status dir = platform::ensure_private_directory(lock_dir); !dir) {
        return with_read_only_wording(std::move(dir).error(), vault_dir);
    }
    // Temp files of lock writes by processes that crashed; young ones may belong to a write in
    // progress right now and are left alone.
    if (Status cleaned = platform::remove_stale_temp_files(lock_dir, std::chrono::hours(1));
        !cleaned) {
        return with_read_only_wording(std::move(cleaned).error(), vault_dir);
    }

    WriterLock lock;
    lock.m_lock_dir = lock_dir;
    lock.m_options = options;
    const auto deadline = std::chrono::steady_clock::now() + options.wait;

    for (;;) {
        LockInfo info;
        info.id = to_hex(crypto::random_bytes(k_id_hex_digits / 2));
        info.host = host;
        info.pid = platform::current_process_id();
        info.operation = options.operation;
        info.started = std::max<std::int64_t>(0, clock.now());
        info.refreshed = info.started;
        info.ttl_seconds = options.ttl.count();
        const std::string text = serialise_lock(info);

        Status created = platform::write_file_durably(
            lock_file, as_bytes(text), platform::Overwrite::no, platform::FinalMode::read_write);
        if (created) {
            platform::test_hooks::crash_point("lock-after-create");
            HeldLockIds::instance().add(info.id);
            lock.m_info = std::move(info);
            lock.m_held = true;
            lock.m_last_refresh = std::chrono::steady_clock::now();
            TRY(lock.release_on_interrupt());
            remove_abandoned_lock_temp_files(lock_dir, host);
            platform::test_hooks::pause_point("lock-acquired");
            return lock;
        }
        if (created.error().code != Errc::already_exists) {
            return with_read_only_wording(std::move(created).error(), vault_dir);
        }

        // Somebody holds it (or held it a moment ago).
        TRY_ASSIGN(std::optional<LockInfo> existing, read_lock_file(lock_file));
        if (!existing)
            continue;  // released in between: try again
        LockStatus status = judge(std::move(*existing), options, clock.now());
        if (status.state != LockState::live) {
            // Take it over atomically: under the guard nobody else can change an existing lock,
            // so if it is still the stale one, our lock replaces it in one rename.
            std::optional<platform::ExclusiveFileLock> guard;
            TRY_ASSIGN(guard, take_guard(lock_dir));
            TRY_ASSIGN(std::optional<LockInfo> again, read_lock_file(lock_file));
            if (!again || again->id != status.info.id)
                continue;
            status = judge(std::move(*again), options, clock.now());
            if (status.state == LockState::live)
                continue;
            Status replaced =
                platform::write_file_durably(lock_file, as_bytes(text), platform::Overwrite::yes,
                                             platform::FinalMode::read_write);
            if (!replaced)
                return with_read_only_wording(std::move(replaced).error(), vault_dir);
            guard.reset();  // ours now; the interrupt handler needs the guard to release it
            platform::test_hooks::crash_point("lock-after-create");
            HeldLockIds::instance().add(info.id);
            lock.m_info = std::move(info);
            lock.m_taken_over = BrokenLock{std::move(status), false, false};
            lock.m_held = true;
            lock.m_last_refresh = std::chrono::steady_clock::now();
            TRY(lock.release_on_interrupt());
            remove_abandoned_lock_temp_files(lock_dir, host);
            platform::test_hooks::pause_point("lock-acquired");
            return lock;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline)
            return locked_error(status, vault_dir, options);
        const auto remaining =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        std::this_thread::sleep_for(std::min(options.poll_interval, remaining));
    }
}

// Armed before anything else is done under the lock: an interrupt from here on releases it
// (platform/interrupt.hpp). A lock that cannot be watched is given back, not held unguarded.
Status WriterLock::release_on_interrupt() {
    auto watched = platform::LockReleaseOnInterrupt::watch(
        lock_file_in(m_lock_dir), m_lock_dir / k_lock_guard_name, m_info.id);
    if (!watched) {
        (void)release();
        return std::move(watched).error();
    }
    m_interrupt_release = std::move(watched).value();
    return {};
}

WriterLock::WriterLock(WriterLock&& other) noexcept
    : m_lock_dir(std::move(other.m_lock_dir)),
      m_info(std::move(other.m_info)),
      m_options(std::move(other.m_options)),
      m_taken_over(std::move(other.m_taken_over)),
      m_last_refresh(other.m_last_refresh),
      m_held(other.m_held),
      m_interrupt_release(std::move(other.m_interrupt_release)) {
    other.m_held = false;
}

WriterLock& WriterLock::operator=(WriterLock&& other) noexcept {
    if (this != &other) {
        if (m_held)
            (void)release();
        m_lock_dir = std::move(other.m_lock_dir);
        m_info = std::move(other.m_info);
        m_options = std::move(other.m_options);
        m_taken_over = std::move(other.m_taken_over);
        m_last_refresh = other.m_last_refresh;
        m_held = other.m_held;
        m_interrupt_release = std::move(other.m_interrupt_release);
        other.m_held = false;
    }
    return *this;
}

WriterLock::~WriterLock() {
    if (m_held)
        (void)release();
}

Status WriterLock::check_still_held() const {
    const path lock_file = lock_file_in(m_lock_dir);
    if (!m_held) {
        return make_error(Errc::internal, "the vault lock " + platform::path_to_utf8(lock_file) +
                                              " was already released");
    }
    TRY_ASSIGN(std::optional<LockInfo> current, read_lock_file(lock_file));
    if (!current || current->id != m_info.id)
        return lock_lost_error(lock_file, current);
    return {};
}

Status WriterLock::refresh() {
    const path lock_file = lock_file_in(m_lock_dir);
    TRY(check_still_held());
    TRY_ASSIGN(platform::ExclusiveFileLock guard, take_guard(m_lock_dir));
    TRY(check_still_held());  // again, now that nobody else can change it
    LockInfo updated = m_info;
    updated.refreshed = std::max<std::int64_t>(0, clock_of(m_options).now());
    TRY(platform::write_file_durably(lock_file, as_bytes(serialise_lock(updated)),
                                     platform::Overwrite::yes, platform::FinalMode::read_write));
    m_info = std::move(updated);
    m_last_refresh = std::chrono::steady_clock::now();
    return {};
}

Status WriterLock::refresh_if_due() {
    const auto due =
        m_last_refresh +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(m_options.ttl / 3);
    if (std::chrono::steady_clock::now() >= due)
        return refresh();
    return check_still_held();
}

Status WriterLock::release() {
    const path lock_file = lock_file_in(m_lock_dir);
    if (!m_held)
        return {};
    m_held = false;  // whatever happens below, this object no longer claims the lock
    m_interrupt_release.forget();
    HeldLockIds::instance().remove(m_info.id);
    TRY_ASSIGN(platform::ExclusiveFileLock guard, take_guard(m_lock_dir));
    TRY_ASSIGN(std::optional<LockInfo> current, read_lock_file(lock_file));
    if (!current || current->id != m_info.id)
        return lock_lost_error(lock_file, current);
    platform::test_hooks::crash_point("lock-before-release");
    return platform::remove_file_durably(lock_file);
}

}  // namespace ssoescrow::vault
