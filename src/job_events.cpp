#include "src/job_events.hpp"

#include "platform/path_text.hpp"
#include "src/exit_codes.hpp"
#include "src/terminal.hpp"

namespace ssoescrow {

using platform::SystemLogLevel;

namespace {

int committed_id(backup::JobKind kind) {
    switch (kind) {
        case backup::JobKind::backup:
            return k_event_backup_committed;
        case backup::JobKind::rotate:
            return k_event_rotate_committed;
        case backup::JobKind::import:
            return k_event_import_committed;
    }
    return k_event_backup_committed;
}

int failed_id(std::string_view job) {
    if (job == "rotate")
        return k_event_rotate_failed;
    if (job == "import")
        return k_event_import_failed;
    if (job == "restore")
        return k_event_restore_failed;
    if (job == "status")
        return k_event_status_unknown;
    return k_event_backup_failed;
}

std::string in_vault(std::string_view vault_dir) {
    return vault_dir.empty() ? std::string() : " (vault " + std::string(vault_dir) + ")";
}

}  // namespace

bool system_log_enabled(bool log_syslog, bool no_log_syslog) noexcept {
    if (no_log_syslog)
        return false;
    return log_syslog || platform::system_log_on_by_default();
}

JobEvent job_committed_event(const backup::JobResult& result, std::string_view vault_dir) {
    const std::string job(backup::job_name(result.kind));
    if (result.skipped_reason) {
        return {
            k_event_backup_skipped, SystemLogLevel::information,
            "ssoescrow " + job + " skipped" + in_vault(vault_dir) + ": " + *result.skipped_reason};
    }
    std::string message =
        "ssoescrow " + job + " " + result.stored.backup_id + " committed" + in_vault(vault_dir) +
        ": current MSID " + result.source.current_msid + ", previous MSID " +
        (result.source.previous_msid.empty() ? std::string("none") : result.source.previous_msid) +
        ", computer " + result.source.computer + ", " + result.stored.path;
    if (!result.pruned.empty())
        message += ", " + std::to_string(result.pruned.size()) + " pruned";
    return {committed_id(result.kind), SystemLogLevel::information, message};
}

JobEvent job_failed_event(std::string_view job, const Error& error, std::string_view vault_dir) {
    const int exit_code = job == "status" ? 3 : exit_code_for(error.code);
    std::string message = "ssoescrow " + std::string(job) + " FAILED" + in_vault(vault_dir) +
                          " (exit " + std::to_string(exit_code) + "): " + error.message;
    if (!error.hint.empty())
        message += ". What to do: " + error.hint;
    return {failed_id(job), SystemLogLevel::error, message};
}

JobEvent restore_done_event(const restore::ApplyResult& result, std::string_view vault_dir) {
    switch (result.mode) {
        case restore::ApplyMode::restore:
            return {k_event_restore_done, SystemLogLevel::information,
                    "ssoescrow restore of backup " + result.backup_id + in_vault(vault_dir) +
                        " done on node " + result.node + ": current MSID " + result.msid +
                        " (request " + result.request_id + ")"};
        case restore::ApplyMode::drill:
            return {k_event_drill_done, SystemLogLevel::information,
                    "ssoescrow drill of backup " + result.backup_id + in_vault(vault_dir) +
                        " passed on node " + result.node + " (request " + result.request_id + ")"};
        case restore::ApplyMode::extract:
            // Break-glass: the master secret's .bak and its password now sit in files.
            return {k_event_extract_done, SystemLogLevel::warning,
                    "ssoescrow extracted backup " + result.backup_id + in_vault(vault_dir) +
                        " to " + platform::path_to_utf8(result.bak_file) +
                        " with its password file beside it (request " + result.request_id +
                        "): restore it by hand, then wipe both files"};
    }
    return {k_event_restore_done, SystemLogLevel::information, "ssoescrow restore done"};
}

std::optional<JobEvent> status_event(int exit_code, std::string_view summary) {
    // The Nagios line without its performance data and line end.
    summary = summary.substr(0, summary.find('\n'));
    summary = summary.substr(0, summary.find(" |"));
    const std::string message = "ssoescrow status: " + std::string(summary);
    switch (exit_code) {
        case 0:
            return std::nullopt;
        case 1:
            return JobEvent{k_event_status_warning, SystemLogLevel::warning, message};
        case 2:
            return JobEvent{k_event_status_critical, SystemLogLevel::error, message};
        default:
            return JobEvent{k_event_status_unknown, SystemLogLevel::error, message};
    }
}

void report_job_event(bool enabled, const JobEvent& event) {
    if (!enabled)
        return;
    if (auto written =
            platform::write_system_log(k_event_source, event.id, event.level, event.message);
        !written) {
        print_warning("the job result was not written to the system log: " +
                      written.error().message);
    }
}

}  // namespace ssoescrow
