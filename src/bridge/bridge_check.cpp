#include "src/bridge/bridge_check.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

#include "crypto/random.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/backup/password.hpp"
#include "src/backup/scratch_dir.hpp"
#include "vault/clock.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::bridge {
namespace {

using crypto::SecretBytes;
namespace fs = std::filesystem;

// ENTSSO's limits (README "Protocol `ssoescrow-bridge/1`"): the requests just outside them.
constexpr std::size_t k_too_short_password = 6;
constexpr std::size_t k_too_long_password = 257;
constexpr std::size_t k_too_long_reminder = 513;
constexpr std::size_t k_random_file_size = 300;
constexpr std::size_t k_max_bak_read = 64 << 20;

// A password of exactly `length` characters, made of generated backup passwords (so it looks
// like what the jobs send and is as unguessable).
SecretBytes password_of_length(std::size_t length) {
    SecretBytes out(length);
    std::size_t used = 0;
    while (used < length) {
        const SecretBytes piece = backup::generate_backup_password();
        const std::size_t take = std::min(piece.size(), length - used);
        std::copy(piece.data(), piece.data() + take, out.data() + used);
        used += take;
    }
    return out;
}

// MSIDs compared as ENTSSO prints them: without regard to case or braces.
std::string normalized_msid(std::string_view msid) {
    std::string out;
    for (char c : msid) {
        if (c == '{' || c == '}')
            continue;
        out += c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    return out;
}

bool same_msid(std::string_view a, std::string_view b) {
    return normalized_msid(a) == normalized_msid(b);
}

// "120 s", "2.5 s", "40 ms".
std::string seconds_text(std::chrono::milliseconds duration) {
    const auto ms = duration.count();
    if (ms < 1000)
        return std::to_string(ms) + " ms";
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + " s";
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

std::string msid_text(const std::optional<std::string>& msid) {
    return msid ? *msid : "none";
}

class Checker {
  public:
    Checker(BridgeClient client, const CheckOptions& options)
        : m_client(std::move(client)), m_options(options) {
        m_client.set_trace(&m_traces);
        m_report.bridge = m_client.argv();
        m_report.destructive = options.destructive;
        m_report.timeout = m_client.limits().timeout;
    }
    Checker(const Checker&) = delete;
    Checker& operator=(const Checker&) = delete;

    Result<CheckReport> run();

  private:
    void add(std::string id, std::string operation, bool passed, std::string detail) {
        m_report.checks.push_back({std::move(id), std::move(operation), passed, std::move(detail)});
    }

    const CallTrace* last_trace() const { return m_traces.empty() ? nullptr : &m_traces.back(); }

    // What the last call came to, in words, for a check that expected something else.
    template <class T>
    std::string what_happened(const Result<T>& result) const {
        if (result)
            return "the bridge answered success";
        const CallTrace* trace = last_trace();
        if (trace != nullptr && trace->entsso_code) {
            return "the bridge answered ENTSSO " + std::to_string(*trace->entsso_code) +
                   (trace->entsso_message ? "" : " without a string 'message'");
        }
        return result.error().message;
    }

    // The call must come back as an ENTSSO error answer with `code` and a message.
    template <class T>
    void expect_code(std::string id, std::string operation, const Result<T>& result, int code) {
        const CallTrace* trace = last_trace();
        const bool passed =
            !result && trace != nullptr && trace->entsso_code == code && trace->entsso_message;
        add(std::move(id), std::move(operation), passed,
            passed ? "ENTSSO " + std::to_string(code) + ", as the protocol says"
                   : "expected ENTSSO " + std::to_string(code) + "; " + what_happened(result));
    }

    // A request the bridge cannot serve must be a bridge failure: a non-zero exit, or an
    // error answer. Success, garbage, a crash or a hang are not.
    void expect_refused(std::string id, std::string_view request_text, std::string what) {
        const Status result = m_client.probe("status", request_text);
        const CallTrace* trace = last_trace();
        const bool exited_nonzero = trace != nullptr && trace->started &&
                                    trace->ending == ChildOutcome::Ending::exited &&
                                    trace->exit_status != 0;
        const bool error_answer = trace != nullptr && trace->entsso_code.has_value();
        const bool passed = !result && (exited_nonzero || error_answer);
        std::string detail =
            exited_nonzero
                ? what + " refused with exit status " + std::to_string(trace->exit_status)
            : error_answer ? what + " refused with ENTSSO " + std::to_string(*trace->entsso_code)
                           : what + " must be refused (non-zero exit or an error answer); " +
                                 what_happened(result);
        add(std::move(id), "status", passed, std::move(detail));
    }

    std::string reminder_text() const {
        return "ssoescrow bridge check " + vault::format_time(vault::system_clock().now()) +
               ": a test backup, delete it";
    }

    void check_status();
    void check_refused_backups();
    void check_backup();
    void check_reminders();
    void check_malformed_requests();
    void check_restore();
    void check_generate();
    void check_secrets_and_time();

    BridgeClient m_client;
    CheckOptions m_options;
    std::vector<CallTrace> m_traces;
    CheckReport m_report;
    std::optional<backup::ScratchDir> m_scratch;
    std::optional<ServerStatus> m_status;
    std::vector<SecretBytes> m_passwords;  // every password sent, for the argv check
    // The backup taken by check_backup, when it succeeded.
    std::optional<Msids> m_backup_msids;
    std::optional<SecretBytes> m_backup_password;
    fs::path m_bak;
    fs::path m_random_file;
};

void Checker::check_status() {
    auto status = m_client.status();
    if (!status) {
        add("status", "status", false, status.error().message);
        add("secret-server", "status", false, "no status answer (see the check 'status')");
        return;
    }
    const ServerStatus& s = *status;
    std::string detail = "computer " + s.computer + ", master secret server " + s.secret_server +
                         ", current MSID " + msid_text(s.current_msid) + ", previous MSID " +
                         msid_text(s.previous_msid) + ", service " + s.service_state;
    if (s.cluster) {
        detail += ", cluster " + s.cluster->name + " (group " + s.cluster->group + " on " +
                  s.cluster->owner_node + ", resource " + s.cluster->resource_state + ")";
    } else {
        detail += ", no cluster";
    }
    add("status", "status", true, detail);
    if (!s.is_secret_server) {
        add("secret-server", "status", false,
            "this computer (" + s.computer + ") is not the master secret server (" +
                s.secret_server + " is): run the check there, on the node that owns the SSO group");
    } else if (s.service_state != "running") {
        add("secret-server", "status", false, "the ENTSSO service is stopped: start it");
    } else if (!s.current_msid) {
        add("secret-server", "status", false,
            "the master secret server names no current MSID: it holds no master secret");
    } else {
        add("secret-server", "status", true,
            "this computer is the master secret server, its service runs and it holds a secret");
    }
    m_status = std::move(status).value();
}

void Checker::check_refused_backups() {
    const std::string reminder = reminder_text();
    {
        SecretBytes password = password_of_length(k_too_short_password);
        auto result = m_client.backup(m_bak, password, reminder);
        m_passwords.push_back(std::move(password));
        expect_code("backup-password-too-short", "backup", result, k_entsso_password_too_short);
    }
    {
        SecretBytes password = password_of_length(k_too_long_password);
        auto result = m_client.backup(m_bak, password, reminder);
        m_passwords.push_back(std::move(password));
        expect_code("backup-password-too-long", "backup", result, k_entsso_password_too_long);
    }
    {
        SecretBytes password = backup::generate_backup_password();
        auto result = m_client.backup(m_bak, password, std::string(k_too_long_reminder, 'r'));
        m_passwords.push_back(std::move(password));
        expect_code("backup-reminder-too-long", "backup", result, k_entsso_reminder_too_long);
    }
    const bool wrote_nothing = !platform::exists_no_follow(m_bak);
    add("refused-backups-wrote-nothing", "backup", wrote_nothing,
        wrote_nothing ? "no file was written by the refused backups"
                      : "a refused backup wrote " + platform::path_to_utf8(m_bak));
    if (!wrote_nothing)
        (void)backup::wipe_and_remove_file(m_bak);
    {
        SecretBytes password = backup::generate_backup_password();
        auto result =
            m_client.backup(m_scratch->dir() / "missing" / "check.bak", password, reminder);
        m_passwords.push_back(std::move(password));
        expect_code("backup-missing-folder", "backup", result, k_entsso_cannot_open_file);
    }
}

void Checker::check_backup() {
    SecretBytes password = backup::generate_backup_password();
    const std::string reminder = reminder_text();
    auto result = m_client.backup(m_bak, password, reminder);
    m_passwords.push_back(password.clone());
    if (!result) {
        add("backup", "backup", false, what_happened(result));
        add("backup-file-holds-no-password", "backup", false,
            "no backup file to read (see the check 'backup')");
        add("reminder-round-trip", "reminder", false,
            "no backup file to read (see the check 'backup')");
        return;
    }
    const Msids& msids = *result;
    std::string detail =
        "current MSID " + msids.current_msid + ", previous MSID " + msid_text(msids.previous_msid);
    auto file = platform::read_file(m_bak, k_max_bak_read);
    bool passed = true;
    if (!file) {
        passed = false;
        detail +=
            "; the bridge answered success but the file cannot be read: " + file.error().message;
    } else if (file->empty()) {
        passed = false;
        detail += "; the bridge answered success but the file is empty";
    } else {
        detail += ", " + std::to_string(file->size()) + " bytes";
    }
    if (m_status && m_status->current_msid &&
        !same_msid(*m_status->current_msid, msids.current_msid)) {
        passed = false;
        detail += "; status said the current MSID is " + *m_status->current_msid;
    }
    add("backup", "backup", passed, detail);

    if (file) {
        const std::string_view content(reinterpret_cast<const char*>(file->data()), file->size());
        const bool leaked = reveals_secret(content, password);
        add("backup-file-holds-no-password", "backup", !leaked,
            leaked ? "the .bak holds its own password in clear (or an encoding of it)"
                   : "the .bak does not hold its password in clear");
    } else {
        add("backup-file-holds-no-password", "backup", false, "the .bak cannot be read");
    }

    auto read_back = m_client.reminder(m_bak);
    if (!read_back) {
        add("reminder-round-trip", "reminder", false, what_happened(read_back));
    } else {
        const bool same = *read_back == reminder;
        add("reminder-round-trip", "reminder", same,
            same ? "the reminder set by the backup reads back unchanged"
                 : "the reminder read back differs from the one the backup set");
    }
    m_backup_msids = msids;
    m_backup_password = std::move(password);
}

void Checker::check_reminders() {
    auto missing = m_client.reminder(m_scratch->dir() / "no-such-file.bak");
    expect_code("reminder-missing-file", "reminder", missing, k_entsso_cannot_open_file);
    auto random = m_client.reminder(m_random_file);
    expect_code("reminder-random-file", "reminder", random, k_entsso_bad_file_format);
}

void Checker::check_malformed_requests() {
    expect_refused("request-not-json", "{not json", "a request that is not JSON is");
    expect_refused("request-other-protocol", R"({"protocol":"ssoescrow-bridge/999"})",
                   "a request of another protocol version is");
}

void Checker::check_restore() {
    {
        SecretBytes password = backup::generate_backup_password();
        auto result = m_client.restore(m_random_file, password);
        m_passwords.push_back(std::move(password));
        expect_code("restore-random-file", "restore", result, k_entsso_bad_file_format);
    }
    if (!m_backup_msids) {
        add("restore-wrong-password", "restore", false,
            "no backup to restore (see the check 'backup')");
        add("restore", "restore", false, "no backup to restore (see the check 'backup')");
        return;
    }
    {
        SecretBytes password = backup::generate_backup_password();
        auto result = m_client.restore(m_bak, password);
        m_passwords.push_back(std::move(password));
        expect_code("restore-wrong-password", "restore", result, k_entsso_wrong_password);
    }
    auto result = m_client.restore(m_bak, *m_backup_password);
    if (!result) {
        add("restore", "restore", false, what_happened(result));
        return;
    }
    const bool same = same_msid(result->current_msid, m_backup_msids->current_msid);
    add("restore", "restore", same,
        same ? "restored the backup just taken: current MSID " + result->current_msid
             : "restore answered current MSID " + result->current_msid + ", the backup holds " +
                   m_backup_msids->current_msid);
}

void Checker::check_generate() {
    const fs::path file = m_scratch->dir() / "generate.bak";
    const std::string reminder = reminder_text();
    {
        SecretBytes password = password_of_length(k_too_short_password);
        auto result = m_client.generate(file, password, reminder);
        m_passwords.push_back(std::move(password));
        expect_code("generate-password-too-short", "generate", result, k_entsso_password_too_short);
    }
    const std::optional<std::string> before =
        m_status ? m_status->current_msid : std::optional<std::string>();
    SecretBytes password = backup::generate_backup_password();
    auto result = m_client.generate(file, password, reminder);
    m_passwords.push_back(std::move(password));
    if (!result) {
        add("generate", "generate", false, what_happened(result));
        add("generate-reminder-round-trip", "reminder", false,
            "no generated backup (see the check 'generate')");
        add("status-after-generate", "status", false,
            "no generated secret (see the check 'generate')");
        return;
    }
    std::string detail = "new current MSID " + result->current_msid + ", previous MSID " +
                         msid_text(result->previous_msid);
    bool passed = platform::exists_no_follow(file);
    if (!passed)
        detail += "; the bridge answered success but wrote no file";
    if (before && same_msid(*before, result->current_msid)) {
        passed = false;
        detail += "; the current MSID did not change";
    }
    if (before && (!result->previous_msid || !same_msid(*before, *result->previous_msid))) {
        passed = false;
        detail += "; the previous MSID should be the one current before, " + *before;
    }
    add("generate", "generate", passed, detail);

    auto read_back = m_client.reminder(file);
    if (!read_back) {
        add("generate-reminder-round-trip", "reminder", false, what_happened(read_back));
    } else {
        const bool same = *read_back == reminder;
        add("generate-reminder-round-trip", "reminder", same,
            same ? "the reminder set by generate reads back unchanged"
                 : "the reminder read back differs from the one generate set");
    }
    auto after = m_client.status();
    if (!after) {
        add("status-after-generate", "status", false, after.error().message);
    } else {
        const bool same =
            after->current_msid && same_msid(*after->current_msid, result->current_msid);
        add("status-after-generate", "status", same,
            same ? "status names the generated secret as current"
                 : "status names current MSID " + msid_text(after->current_msid) +
                       ", generate answered " + result->current_msid);
    }
}

// The checks over every call made: where the passwords went, and how long the answers took.
void Checker::check_secrets_and_time() {
    std::size_t with_password = 0;
    std::vector<std::string> on_stderr;
    std::vector<std::string> on_stdout;
    std::chrono::milliseconds slowest{0};
    std::string slowest_operation;
    std::vector<std::string> timed_out;
    for (const CallTrace& trace : m_traces) {
        if (trace.carried_password) {
            ++with_password;
            if (trace.password_on_stderr)
                on_stderr.push_back(trace.operation);
            if (trace.password_on_stdout)
                on_stdout.push_back(trace.operation);
        }
        if (trace.ending == ChildOutcome::Ending::timed_out)
            timed_out.push_back(trace.operation);
        if (trace.started && trace.elapsed >= slowest) {
            slowest = trace.elapsed;
            slowest_operation = trace.operation;
        }
    }
    auto joined = [](const std::vector<std::string>& names) {
        std::string out;
        for (const std::string& name : names)
            out += (out.empty() ? "" : ", ") + name;
        return out;
    };
    const std::string count = std::to_string(with_password) + " calls carried a password";
    add("password-not-on-stderr", "all", on_stderr.empty(),
        on_stderr.empty()
            ? count + "; none showed up on the bridge's stderr"
            : "the password showed up on the bridge's stderr after: " + joined(on_stderr));
    add("password-not-on-stdout", "all", on_stdout.empty(),
        on_stdout.empty() ? count + "; no answer held one"
                          : "an answer held the password it was sent, after: " + joined(on_stdout));

    bool in_arguments = false;
    for (const std::string& word : m_client.argv()) {
        for (const SecretBytes& password : m_passwords)
            in_arguments = in_arguments || reveals_secret(word, password);
    }
    add("password-not-in-arguments", "all", !in_arguments,
        in_arguments
            ? "a word of the bridge's command line holds a password sent on stdin"
            : "the bridge's command line (" + std::to_string(m_client.argv().size()) +
                  " words and the operation) holds none of the " +
                  std::to_string(m_passwords.size()) + " passwords: they travel only on stdin");

    const std::string limit = seconds_text(m_report.timeout);
    add("answers-within-timeout", "all", timed_out.empty(),
        timed_out.empty() ? "slowest answer: " + slowest_operation + " in " +
                                seconds_text(slowest) + " (timeout " + limit + ")"
                          : "no answer within " + limit + " (the bridge was stopped) from: " +
                                joined(timed_out) + "; a job with this timeout would fail");
}

Result<CheckReport> Checker::run() {
    TRY_ASSIGN(backup::ScratchDir scratch, backup::ScratchDir::create(m_options.scratch_parent));
    m_scratch.emplace(std::move(scratch));
    m_bak = m_scratch->dir() / "check.bak";
    m_random_file = m_scratch->dir() / "random.bak";
    const Bytes random = crypto::random_bytes(k_random_file_size);
    TRY(platform::write_file_durably(m_random_file, random, platform::Overwrite::no,
                                     platform::FinalMode::read_write));

    check_status();
    check_refused_backups();
    check_backup();
    check_reminders();
    check_malformed_requests();
    if (m_options.destructive) {
        check_restore();
        check_generate();
    }
    check_secrets_and_time();
    TRY(m_scratch->wipe_and_remove());
    return std::move(m_report);
}

}  // namespace

std::size_t CheckReport::failed() const {
    return static_cast<std::size_t>(std::count_if(checks.begin(), checks.end(),
                                                  [](const CheckOutcome& c) { return !c.passed; }));
}

Result<CheckReport> run_bridge_check(BridgeClient client, const CheckOptions& options) {
    Checker checker(std::move(client), options);
    return checker.run();
}

std::string format_check_text(const CheckReport& report) {
    std::string command;
    for (const std::string& word : report.bridge)
        command += (command.empty() ? "" : " ") + word;
    std::string out = "bridge check: " + command + " (protocol " + std::string(k_protocol) +
                      ", timeout " + seconds_text(report.timeout) + ", " +
                      (report.destructive ? "destructive: restore and generate included"
                                          : "non-destructive: restore and generate left out") +
                      ")\n";
    std::size_t width = 0;
    for (const CheckOutcome& check : report.checks)
        width = std::max(width, check.id.size());
    for (const CheckOutcome& check : report.checks) {
        out += check.passed ? "ok    " : "FAIL  ";
        out += check.id + std::string(width - check.id.size() + 2, ' ') + check.detail + "\n";
    }
    const std::size_t failed = report.failed();
    out += std::to_string(report.checks.size() - failed) + " passed, " + std::to_string(failed) +
           " failed: ";
    out += failed == 0 ? "the bridge speaks the protocol as the jobs need\n"
                       : "do not trust the scheduled jobs with this bridge until every check "
                         "passes\n";
    return out;
}

std::string format_check_json(const CheckReport& report) {
    nlohmann::ordered_json out;
    out["schema"] = std::string(k_check_schema);
    out["protocol"] = std::string(k_protocol);
    out["bridge"] = report.bridge;
    out["destructive"] = report.destructive;
    out["timeout_ms"] = report.timeout.count();
    out["ok"] = report.all_passed();
    out["passed"] = report.checks.size() - report.failed();
    out["failed"] = report.failed();
    out["checks"] = nlohmann::ordered_json::array();
    for (const CheckOutcome& check : report.checks) {
        out["checks"].push_back({{"id", check.id},
                                 {"operation", check.operation},
                                 {"result", check.passed ? "pass" : "fail"},
                                 {"detail", check.detail}});
    }
    // Bridge text in a detail (a computer name, an error message) may be any bytes: replaced,
    // never thrown on.
    return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace ssoescrow::bridge
