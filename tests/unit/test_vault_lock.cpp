// The vault writer lock (vault/lock.hpp): file format, exclusive creation, stale detection and
// takeover, clock skew, lost locks, forced breaking. Reliability scenarios F9-F13. Each case works
// in a fresh temp directory.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "test_support.hpp"
#include "platform/file_io.hpp"
#include "vault/lock.hpp"
#include "platform/test_hooks.hpp"

namespace fs = std::filesystem;
using namespace ssoescrow;
using namespace ssoescrow::vault;
using namespace ssoescrow::platform;
using namespace std::chrono_literals;

namespace {

using test_support::EnvGuard;

// A directory standing in for a vault: only locks/ matters here.
class TempVault : public test_support::TempDir {
  public:
    TempVault() : TempDir("ssoescrow-lock") {}
    std::filesystem::path lock_file() const { return path() / "locks" / "writer.lock"; }
};

constexpr std::int64_t k_t0 = 1800000000;  // 2027-01-15

LockInfo sample_info() {
    LockInfo info;
    info.id = "00112233445566778899aabbccddeeff";
    info.host = "backup-host.example.com";
    info.pid = 4242;
    info.operation = "backup";
    info.started = k_t0;
    info.refreshed = k_t0 + 60;
    info.ttl_seconds = 900;
    return info;
}

const std::string k_sample_text =
    "ssoescrow-lock 1\n"
    "id 00112233445566778899aabbccddeeff\n"
    "host backup-host.example.com\n"
    "pid 4242\n"
    "operation backup\n"
    "started 1800000000\n"
    "refreshed 1800000060\n"
    "ttl 900\n";

// Plants a lock file as another process (or host) would have written it.
void plant_lock(const TempVault& vault, const LockInfo& info) {
    REQUIRE(ensure_private_directory(vault.path() / "locks"));
    REQUIRE(write_file_durably(vault.lock_file(), as_bytes(serialise_lock(info)), Overwrite::yes,
                               FinalMode::read_write));
}

LockInfo foreign_lock(std::int64_t refreshed) {
    LockInfo info = sample_info();
    info.id = to_hex(crypto::random_bytes(16));
    info.host = "other-host";
    info.pid = 777;
    info.started = refreshed;
    info.refreshed = refreshed;
    return info;
}

// A pid that existed and no longer does (a reaped child).
std::int64_t dead_pid() {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
        ::_exit(0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return pid;
}

LockInfo current_lock(const TempVault& vault) {
    Result<Bytes> bytes = read_file(vault.lock_file(), k_lock_file_max_size);
    REQUIRE(bytes);
    Result<LockInfo> info = parse_lock(
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), "lock");
    REQUIRE(info);
    return *info;
}

LockOptions with_clock(Clock& clock) {
    LockOptions options;
    options.operation = "backup";
    options.clock = &clock;
    return options;
}

}  // namespace

// --- Format ---

TEST_CASE("lock file: canonical round trip", "[vault][lock]") {
    Result<LockInfo> parsed = parse_lock(k_sample_text, "writer.lock");
    REQUIRE(parsed);
    CHECK(parsed->id == "00112233445566778899aabbccddeeff");
    CHECK(parsed->host == "backup-host.example.com");
    CHECK(parsed->pid == 4242);
    CHECK(parsed->operation == "backup");
    CHECK(parsed->started == k_t0);
    CHECK(parsed->refreshed == k_t0 + 60);
    CHECK(parsed->ttl_seconds == 900);
    CHECK(serialise_lock(*parsed) == k_sample_text);
    CHECK(serialise_lock(sample_info()) == k_sample_text);
}

TEST_CASE("lock file: every non-canonical or out-of-range form is refused", "[vault][lock]") {
    auto replace = [](std::string text, const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    };
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"empty", ""},
        {"no final newline", k_sample_text.substr(0, k_sample_text.size() - 1)},
        {"CRLF", replace(k_sample_text, "pid 4242\n", "pid 4242\r\n")},
        {"extra line", k_sample_text + "extra 1\n"},
        {"missing line", replace(k_sample_text, "ttl 900\n", "")},
        {"wrong magic", replace(k_sample_text, "ssoescrow-lock 1", "ssoescrow-lok 1")},
        {"fields swapped", replace(replace(k_sample_text, "pid 4242\n", "PID\n"),
                                   "host backup-host.example.com\n", "pid 4242\n")},
        {"double space", replace(k_sample_text, "pid 4242", "pid  4242")},
        {"trailing space", replace(k_sample_text, "pid 4242", "pid 4242 ")},
        {"upper-case id", replace(k_sample_text, "aabbccddeeff", "AABBCCDDEEFF")},
        {"short id", replace(k_sample_text, "00112233", "0011223")},
        {"empty host", replace(k_sample_text, "backup-host.example.com", "")},
        {"host with space", replace(k_sample_text, "backup-host", "backup host")},
        {"host too long", replace(k_sample_text, "backup-host.example.com", std::string(254, 'h'))},
        {"pid zero", replace(k_sample_text, "pid 4242", "pid 0")},
        {"pid leading zero", replace(k_sample_text, "pid 4242", "pid 04242")},
        {"pid negative", replace(k_sample_text, "pid 4242", "pid -4242")},
        {"pid plus", replace(k_sample_text, "pid 4242", "pid +4242")},
        {"pid too big", replace(k_sample_text, "pid 4242", "pid 2147483648")},
        {"pid overflow", replace(k_sample_text, "pid 4242", "pid 99999999999999999999")},
        {"operation upper", replace(k_sample_text, "operation backup", "operation Backup")},
        {"operation too long",
         replace(k_sample_text, "operation backup", "operation " + std::string(33, 'a'))},
        {"started after 9999",
         replace(k_sample_text, "started 1800000000", "started 253402300800")},
        {"refreshed hex", replace(k_sample_text, "refreshed 1800000060", "refreshed 0x10")},
        {"ttl zero", replace(k_sample_text, "ttl 900", "ttl 0")},
        {"ttl above a week", replace(k_sample_text, "ttl 900", "ttl 604801")},
        {"NUL in host", replace(k_sample_text, "backup-host", std::string("backup\0host", 11))},
        {"too large", k_sample_text + std::string(1100, '#')},
    };
    for (const auto& [name, text] : bad) {
        CAPTURE(name);
        Result<LockInfo> r = parse_lock(text, "locks/writer.lock");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::parse);
        CHECK_THAT(r.error().message, Catch::Contains("locks/writer.lock"));
    }
    // Limits themselves are accepted.
    CHECK(parse_lock(replace(k_sample_text, "ttl 900", "ttl 604800"), "x"));
    CHECK(parse_lock(replace(k_sample_text, "pid 4242", "pid 2147483647"), "x"));
    CHECK(parse_lock(replace(k_sample_text, "started 1800000000", "started 0"), "x"));
    CHECK(
        parse_lock(replace(k_sample_text, "backup-host.example.com", std::string(253, 'h')), "x"));
}

TEST_CASE("lock file: another version is 'unsupported version N'", "[vault][lock]") {
    std::string text = k_sample_text;
    text.replace(0, 16, "ssoescrow-lock 2");
    Result<LockInfo> r = parse_lock(text, "writer.lock");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::unsupported_version);
    CHECK_THAT(r.error().message, Catch::Contains("unsupported version 2"));
}

TEST_CASE("local host name is valid lock-file text", "[vault][lock]") {
    LockInfo info = sample_info();
    info.host = local_host_name();
    CHECK(parse_lock(serialise_lock(info), "x"));
}

// --- Acquire and release ---

TEST_CASE("acquire creates a private lock, release removes it", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockOptions options = with_clock(clock);
    {
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE(lock);
        CHECK(lock->held());
        CHECK_FALSE(lock->taken_over());
        const LockInfo on_disk = current_lock(vault);
        CHECK(on_disk.id == lock->info().id);
        CHECK(on_disk.host == local_host_name());
        CHECK(on_disk.pid == ::getpid());
        CHECK(on_disk.operation == "backup");
        CHECK(on_disk.started == k_t0);
        CHECK(on_disk.refreshed == k_t0);
        CHECK(on_disk.ttl_seconds == 900);

        struct stat st {};
        REQUIRE(::stat((vault.path() / "locks").c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 0700);
        REQUIRE(::stat(vault.lock_file().c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 0600);

        // A second writer (even in the same process) is refused, naming the holder.
        Result<WriterLock> second = WriterLock::acquire(vault.path(), options);
        REQUIRE_FALSE(second);
        CHECK(second.error().code == Errc::locked);
        CHECK_THAT(second.error().message, Catch::Contains(local_host_name()));
        CHECK_THAT(second.error().message, Catch::Contains("pid " + std::to_string(::getpid())));
        CHECK_THAT(second.error().message, Catch::Contains("backup"));
        CHECK_FALSE(second.error().hint.empty());

        REQUIRE(lock->check_still_held());
        REQUIRE(lock->release());
        CHECK_FALSE(lock->held());
        CHECK_FALSE(fs::exists(vault.lock_file()));
        REQUIRE(lock->release());  // releasing twice is harmless
    }
    SECTION("the destructor releases") {
        { REQUIRE(WriterLock::acquire(vault.path(), options)); }
        CHECK_FALSE(fs::exists(vault.lock_file()));
    }
    SECTION("a moved lock is released once, by its new owner") {
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE(lock);
        WriterLock moved = std::move(*lock);
        CHECK(moved.held());
        REQUIRE(moved.check_still_held());
        REQUIRE(moved.release());
        CHECK_FALSE(fs::exists(vault.lock_file()));
    }
}

TEST_CASE("read_lock_status writes nothing", "[vault][lock]") {
    TempVault vault;
    LockOptions options;
    Result<std::optional<LockStatus>> none = read_lock_status(vault.path(), options);
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
    CHECK_FALSE(fs::exists(vault.path() / "locks"));
}

TEST_CASE("refresh moves the refresh time and refresh_if_due only when due", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockOptions options = with_clock(clock);
    Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
    REQUIRE(lock);
    clock.advance(120);
    REQUIRE(lock->refresh_if_due());  // 15 min ttl: not due after a moment of steady time
    CHECK(current_lock(vault).refreshed == k_t0);
    REQUIRE(lock->refresh());
    CHECK(current_lock(vault).refreshed == k_t0 + 120);
    CHECK(current_lock(vault).started == k_t0);
    CHECK(current_lock(vault).id == lock->info().id);

    options.ttl = 1s;  // due after a third of a second
    Result<WriterLock> short_lived = [&] {
        REQUIRE(lock->release());
        return WriterLock::acquire(vault.path(), options);
    }();
    REQUIRE(short_lived);
    std::this_thread::sleep_for(400ms);
    clock.advance(5);
    REQUIRE(short_lived->refresh_if_due());
    CHECK(current_lock(vault).refreshed == k_t0 + 125);
}

TEST_CASE("waiting for a live lock is bounded", "[vault][lock]") {
    TempVault vault;
    LockOptions options;
    Result<WriterLock> holder = WriterLock::acquire(vault.path(), options);
    REQUIRE(holder);
    options.wait = 400ms;
    options.poll_interval = 50ms;
    const auto start = std::chrono::steady_clock::now();
    Result<WriterLock> waiter = WriterLock::acquire(vault.path(), options);
    const auto waited = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(waiter);
    CHECK(waiter.error().code == Errc::locked);
    CHECK(waited >= 400ms);
    CHECK(waited < 5s);
}

// --- F9: concurrent writers ---

namespace {

// Forks `n` children that wait on a pipe, then all call `body` at once. Returns exit codes.
template <class Body>
std::vector<int> race(int n, Body body) {
    int gate[2];
    REQUIRE(::pipe(gate) == 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < n; ++i) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(gate[1]);
            char c;
            while (::read(gate[0], &c, 1) < 0 && errno == EINTR) {
            }
            ::_exit(body());
        }
        pids.push_back(pid);
    }
    ::close(gate[0]);
    ::close(gate[1]);  // opens the gate: every child's read returns 0
    std::vector<int> codes;
    for (const pid_t pid : pids) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        codes.push_back(WEXITSTATUS(status));
    }
    return codes;
}

}  // namespace

TEST_CASE("F9: of writers racing without waiting exactly one wins", "[vault][lock]") {
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        TempVault vault;
        const std::vector<int> codes = race(5, [&]() -> int {
            LockOptions options;
            Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
            if (!lock) {
                if (lock.error().code == Errc::locked) {
                    std::ofstream(vault.path() / ("lost-" + std::to_string(::getpid())));
                    return 7;
                }
                std::fprintf(stderr, "acquire: %s\n", lock.error().message.c_str());
                return 1;
            }
            // Hold it until every other writer has tried (bounded, in case one of them fails).
            const auto give_up = std::chrono::steady_clock::now() + 30s;
            while (std::chrono::steady_clock::now() < give_up) {
                int lost = 0;
                for (const auto& entry : fs::directory_iterator(vault.path())) {
                    lost += entry.path().filename().string().rfind("lost-", 0) == 0 ? 1 : 0;
                }
                if (lost == 4)
                    break;
                std::this_thread::sleep_for(10ms);
            }
            Status released = lock->release();
            if (!released)
                std::fprintf(stderr, "release: %s\n", released.error().message.c_str());
            return released ? 0 : 2;
        });
        CAPTURE(codes);
        CHECK(std::count(codes.begin(), codes.end(), 0) == 1);
        CHECK(std::count(codes.begin(), codes.end(), 7) == 4);
        CHECK_FALSE(fs::exists(vault.lock_file()));
    }
}

TEST_CASE("F9: writers that wait all get the lock, one at a time", "[vault][lock]") {
    TempVault vault;
    const fs::path inside = vault.path() / "inside";
    const std::vector<int> codes = race(4, [&]() -> int {
        LockOptions options;
        options.wait = 20s;
        options.poll_interval = 20ms;
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        if (!lock)
            return 1;
        // Nobody else may be inside while we hold the lock.
        const int fd = ::open(inside.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
            return 3;
        ::close(fd);
        std::this_thread::sleep_for(100ms);
        if (!lock->check_still_held())
            return 4;
        ::unlink(inside.c_str());
        return lock->release() ? 0 : 2;
    });
    CHECK(codes == std::vector<int>{0, 0, 0, 0});
    CHECK_FALSE(fs::exists(vault.lock_file()));
}

// --- F10: stale and foreign locks ---

TEST_CASE("F10: a lock of a dead process on this host is taken over at once", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockInfo stale = foreign_lock(k_t0);  // refreshed just now: only the dead pid makes it stale
    stale.host = local_host_name();
    stale.pid = dead_pid();
    plant_lock(vault, stale);

    Result<std::optional<LockStatus>> status = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(status);
    REQUIRE(status->has_value());
    CHECK((*status)->state == LockState::stale_dead);
    CHECK((*status)->same_host);

    Result<WriterLock> lock = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(lock);
    REQUIRE(lock->taken_over());
    CHECK(lock->taken_over()->previous.info.id == stale.id);
    CHECK(lock->taken_over()->previous.info.pid == stale.pid);
    CHECK(lock->taken_over()->previous.state == LockState::stale_dead);
    CHECK_FALSE(lock->taken_over()->forced);
    CHECK(current_lock(vault).id == lock->info().id);
}

TEST_CASE("F10: a live process on this host keeps its lock until its ttl", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockInfo live = foreign_lock(k_t0);
    live.host = local_host_name();
    live.pid = 1;  // init: always alive
    plant_lock(vault, live);

    clock.set(k_t0 + 900);  // exactly ttl: not yet
    Result<WriterLock> early = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE_FALSE(early);
    CHECK(early.error().code == Errc::locked);
    CHECK(current_lock(vault).id == live.id);

    clock.set(k_t0 + 901);
    Result<WriterLock> late = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(late);
    REQUIRE(late->taken_over());
    CHECK(late->taken_over()->previous.state == LockState::stale_expired);
}

TEST_CASE("F10: another host's lock is not broken before ttl + allowed clock skew",
          "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0 + 600);
    const LockInfo foreign = foreign_lock(k_t0);
    plant_lock(vault, foreign);

    Result<WriterLock> refused = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::locked);
    CHECK_THAT(refused.error().message, Catch::Contains("other-host"));
    CHECK_THAT(refused.error().message, Catch::Contains("pid 777"));
    CHECK_THAT(refused.error().message, Catch::Contains("10m 0s ago"));
    CHECK_THAT(refused.error().hint, Catch::Contains("ssoescrow vault unlock --vault " +
                                                     vault.path().string() + " --force"));
    CHECK(current_lock(vault).id == foreign.id);

    clock.set(k_t0 + 900 + 7200);  // ttl + 2 h: still not
    REQUIRE_FALSE(WriterLock::acquire(vault.path(), with_clock(clock)));
    CHECK(current_lock(vault).id == foreign.id);

    clock.set(k_t0 + 900 + 7200 + 1);
    Result<WriterLock> taken = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(taken);
    REQUIRE(taken->taken_over());
    CHECK(taken->taken_over()->previous.info.host == "other-host");
    CHECK(taken->taken_over()->previous.state == LockState::stale_expired);
    CHECK(taken->taken_over()->previous.age_seconds == 900 + 7200 + 1);
}

// --- F11: a suspended holder loses its lock and notices ---

TEST_CASE("F11: a holder whose lock was replaced gets lock_lost and removes nothing",
          "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    Result<WriterLock> ours = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(ours);

    const LockInfo theirs = foreign_lock(k_t0);
    plant_lock(vault, theirs);  // what a takeover looks like from the holder's side

    Status check = ours->check_still_held();
    REQUIRE_FALSE(check);
    CHECK(check.error().code == Errc::lock_lost);
    CHECK_THAT(check.error().message, Catch::Contains("other-host"));
    CHECK_THAT(check.error().hint, Catch::Contains("nothing was committed"));

    Status refresh = ours->refresh();
    REQUIRE_FALSE(refresh);
    CHECK(refresh.error().code == Errc::lock_lost);
    CHECK(current_lock(vault).id == theirs.id);

    Status release = ours->release();
    REQUIRE_FALSE(release);
    CHECK(release.error().code == Errc::lock_lost);
    CHECK(current_lock(vault).id == theirs.id);  // never removes somebody else's lock

    SECTION("a removed lock file is also a lost lock") {
        Result<WriterLock> again = [&] {
            REQUIRE(break_lock(vault.path(), BreakMode::force, with_clock(clock)));
            return WriterLock::acquire(vault.path(), with_clock(clock));
        }();
        REQUIRE(again);
        REQUIRE(remove_file_durably(vault.lock_file()));
        Status gone = again->check_still_held();
        REQUIRE_FALSE(gone);
        CHECK(gone.error().code == Errc::lock_lost);
        CHECK_THAT(gone.error().message, Catch::Contains("removed"));
    }
}

TEST_CASE("F11: a SIGSTOPped holder is taken over after its ttl and aborts on resume",
          "[vault][lock]") {
    TempVault vault;
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(ready[0]);
        LockOptions options;
        options.ttl = 60s;
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        if (!lock)
            ::_exit(1);
        (void)!::write(ready[1], "r", 1);
        ::raise(SIGSTOP);  // suspended "past its ttl"
        Status held = lock->check_still_held();
        if (held.ok())
            ::_exit(2);  // would have committed: the bug this test catches
        ::_exit(held.error().code == Errc::lock_lost ? 42 : 3);
    }
    ::close(ready[1]);
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    ::close(ready[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, WUNTRACED) == child);
    REQUIRE(WIFSTOPPED(status));

    // Another job, 2 minutes later by its clock: the holder is alive but has not refreshed.
    FakeClock later(system_clock().now() + 120);
    Result<WriterLock> taker = WriterLock::acquire(vault.path(), with_clock(later));
    REQUIRE(taker);
    REQUIRE(taker->taken_over());
    CHECK(taker->taken_over()->previous.info.pid == child);
    CHECK(taker->taken_over()->previous.state == LockState::stale_expired);

    REQUIRE(::kill(child, SIGCONT) == 0);
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 42);
    CHECK(current_lock(vault).id == taker->info().id);  // the resumed holder removed nothing
}

// --- F12: clock skew and clock steps ---

TEST_CASE("F12: a lock from a clock 2 h ahead is live and flagged as in the future",
          "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    plant_lock(vault, foreign_lock(k_t0 + 7200));
    Result<std::optional<LockStatus>> status = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(status);
    REQUIRE(status->has_value());
    CHECK((*status)->in_future);
    CHECK((*status)->age_seconds == 0);
    CHECK((*status)->state == LockState::live);

    Result<WriterLock> refused = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::locked);
    CHECK_THAT(refused.error().message, Catch::Contains("future"));
    CHECK_THAT(refused.error().hint, Catch::Contains("clocks"));

    clock.set(k_t0 + 30 * 86400);  // once our clock has passed it, it ages like any other
    Result<std::optional<LockStatus>> later = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(later);
    CHECK((*later)->state == LockState::stale_expired);
}

TEST_CASE("F12: a live lock from a clock 2 h behind is not broken early", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    // The holder refreshed "now" by its own clock, which is 2 h behind ours.
    plant_lock(vault, foreign_lock(k_t0 - 7200));
    Result<std::optional<LockStatus>> status = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(status);
    CHECK((*status)->age_seconds == 7200);
    CHECK_FALSE((*status)->in_future);
    CHECK((*status)->state == LockState::live);
    REQUIRE_FALSE(WriterLock::acquire(vault.path(), with_clock(clock)));

    clock.advance(900);  // the holder stopped refreshing ttl ago (by its clock): still not
    REQUIRE_FALSE(WriterLock::acquire(vault.path(), with_clock(clock)));
    clock.advance(1);
    REQUIRE(WriterLock::acquire(vault.path(), with_clock(clock)));
}

TEST_CASE("F12: a clock stepped back mid-job: ages are never negative", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    Result<WriterLock> lock = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(lock);
    clock.set(k_t0 - 3 * 3600);  // NTP step back by 3 h
    REQUIRE(lock->refresh());
    REQUIRE(lock->check_still_held());
    const LockInfo on_disk = current_lock(vault);
    CHECK(on_disk.refreshed == k_t0 - 3 * 3600);
    CHECK(on_disk.started == k_t0);
    CHECK(parse_lock(serialise_lock(on_disk), "x"));  // refreshed < started is valid

    clock.set(k_t0 - 4 * 3600);
    Result<std::optional<LockStatus>> status = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(status);
    CHECK((*status)->age_seconds == 0);
    CHECK((*status)->in_future);
    CHECK((*status)->state == LockState::live);
    REQUIRE(lock->release());
}

// --- F13: unlock while a job runs ---

TEST_CASE("F13: breaking a live lock needs force, and reports what was removed", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    Result<WriterLock> holder = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(holder);

    Result<BrokenLock> refused = break_lock(vault.path(), BreakMode::stale_only, with_clock(clock));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::locked);
    CHECK(current_lock(vault).id == holder->info().id);

    Result<BrokenLock> forced = break_lock(vault.path(), BreakMode::force, with_clock(clock));
    REQUIRE(forced);
    CHECK(forced->forced);
    CHECK_FALSE(forced->malformed);
    CHECK(forced->previous.info.id == holder->info().id);
    CHECK(forced->previous.state == LockState::live);
    CHECK_FALSE(fs::exists(vault.lock_file()));

    Status lost = holder->check_still_held();
    REQUIRE_FALSE(lost);
    CHECK(lost.error().code == Errc::lock_lost);

    Result<BrokenLock> none = break_lock(vault.path(), BreakMode::force, with_clock(clock));
    REQUIRE_FALSE(none);
    CHECK(none.error().code == Errc::not_found);
}

TEST_CASE("F13: a stale lock can be broken without force", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockInfo stale = foreign_lock(k_t0);
    stale.host = local_host_name();
    stale.pid = dead_pid();
    plant_lock(vault, stale);
    Result<BrokenLock> broken = break_lock(vault.path(), BreakMode::stale_only, with_clock(clock));
    REQUIRE(broken);
    CHECK_FALSE(broken->forced);
    CHECK(broken->previous.state == LockState::stale_dead);
    CHECK_FALSE(fs::exists(vault.lock_file()));
}

TEST_CASE("a malformed lock file blocks writers until removed by force", "[vault][lock]") {
    TempVault vault;
    REQUIRE(ensure_private_directory(vault.path() / "locks"));
    REQUIRE(write_file_durably(vault.lock_file(), as_bytes("garbage\n"), Overwrite::no,
                               FinalMode::read_write));
    LockOptions options;
    Result<WriterLock> refused = WriterLock::acquire(vault.path(), options);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::parse);
    CHECK_THAT(refused.error().message, Catch::Contains("writer.lock"));
    CHECK_THAT(refused.error().hint, Catch::Contains("ssoescrow vault unlock --vault " +
                                                     vault.path().string() + " --force"));

    REQUIRE_FALSE(break_lock(vault.path(), BreakMode::stale_only, options));
    CHECK(fs::exists(vault.lock_file()));
    Result<BrokenLock> forced = break_lock(vault.path(), BreakMode::force, options);
    REQUIRE(forced);
    CHECK(forced->malformed);
    CHECK(forced->forced);
    REQUIRE(WriterLock::acquire(vault.path(), options));
}

TEST_CASE("invalid lock options are refused", "[vault][lock]") {
    TempVault vault;
    LockOptions options;
    options.operation = "Backup Now";
    CHECK_FALSE(WriterLock::acquire(vault.path(), options));
    options.operation = "backup";
    options.ttl = 0s;
    Result<WriterLock> zero = WriterLock::acquire(vault.path(), options);
    REQUIRE_FALSE(zero);
    CHECK(zero.error().code == Errc::invalid_argument);
    options.ttl = std::chrono::seconds(k_lock_max_ttl_seconds + 1);
    CHECK_FALSE(WriterLock::acquire(vault.path(), options));
    CHECK_FALSE(fs::exists(vault.lock_file()));
}

// --- F5, F7: a full disk or a read-only vault ---

TEST_CASE("a read-only vault: 'vault is read-only', nothing written (F7)", "[vault][lock][hooks]") {
    if (!test_hooks::k_enabled) {
        WARN("skipped: needs a build with -DSSOESCROW_TEST_HOOKS=ON");
        return;
    }
    TempVault vault;
    LockOptions options;
    {
        EnvGuard fault("SSOESCROW_TEST_FAULT", "erofs:open");
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE_FALSE(lock);
        CHECK(lock.error().code == Errc::read_only);
        CHECK_THAT(lock.error().message, Catch::Contains("vault is read-only"));
        CHECK_THAT(lock.error().hint, Catch::Contains("read-only copy"));
        CHECK_FALSE(fs::exists(vault.path() / "locks"));
    }
    {
        REQUIRE(ensure_private_directory(vault.path() / "locks"));
        EnvGuard fault("SSOESCROW_TEST_FAULT", "erofs:open");
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE_FALSE(lock);
        CHECK(lock.error().code == Errc::read_only);
        CHECK(fs::is_empty(vault.path() / "locks"));
    }
}

TEST_CASE("no space for the lock: no_space, no lock and no temp file left (F5)",
          "[vault][lock][hooks]") {
    if (!test_hooks::k_enabled) {
        WARN("skipped: needs a build with -DSSOESCROW_TEST_HOOKS=ON");
        return;
    }
    TempVault vault;
    LockOptions options;
    for (const char* f : {"enospc:write", "eio:fsync"}) {
        CAPTURE(f);
        EnvGuard fault("SSOESCROW_TEST_FAULT", f);
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE_FALSE(lock);
        CHECK(lock.error().code == (std::string(f) == "enospc:write" ? Errc::no_space : Errc::io));
        CHECK(fs::is_empty(vault.path() / "locks"));
    }
    REQUIRE(WriterLock::acquire(vault.path(), options));
}

TEST_CASE("a crash right after creating the lock leaves a lock the next run takes over",
          "[vault][lock][hooks]") {
    if (!test_hooks::k_enabled) {
        WARN("skipped: needs a build with -DSSOESCROW_TEST_HOOKS=ON");
        return;
    }
    TempVault vault;
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::setenv("SSOESCROW_TEST_CRASH_AT", "lock-after-create", 1);
        LockOptions options;
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        ::_exit(lock ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 137);
    CHECK(current_lock(vault).pid == child);  // complete, parseable

    LockOptions options;
    Result<WriterLock> next = WriterLock::acquire(vault.path(), options);
    REQUIRE(next);
    REQUIRE(next->taken_over());
    CHECK(next->taken_over()->previous.state == LockState::stale_dead);
}
