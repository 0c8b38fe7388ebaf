// Job results for the system log (platform/system_log.hpp): the Windows Application event log
// under source "ssoescrow", syslog/journald on Linux. One event per job run, with an ID and a
// level per outcome (README "System log"), so that Windows monitoring (SCOM, event forwarding)
// sees a failed backup without reading ssoescrow's files.
//
// Messages are built from public values only (backup ids, MSIDs, paths, exit codes, error
// messages, which never hold a secret): never from a password, key, share or .bak byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "platform/system_log.hpp"
#include "src/backup/backup_job.hpp"
#include "src/restore/apply.hpp"

namespace ssoescrow {

inline constexpr std::string_view k_event_source = "ssoescrow";

// Event IDs: a base per job, plus the outcome. Only ever added, never renumbered.
enum JobEventId : int {
    k_event_backup_committed = 1000,
    k_event_backup_skipped = 1001,
    k_event_backup_failed = 1002,
    k_event_rotate_committed = 1010,
    k_event_rotate_failed = 1012,
    k_event_import_committed = 1020,
    k_event_import_failed = 1022,
    k_event_restore_done = 1030,
    k_event_drill_done = 1031,
    k_event_restore_failed = 1032,
    k_event_extract_done = 1033,
    k_event_status_warning = 1040,
    k_event_status_critical = 1041,
    k_event_status_unknown = 1042,
};

struct JobEvent {
    int id = 0;
    platform::SystemLogLevel level = platform::SystemLogLevel::information;
    std::string message;
};

// Whether this run writes to the system log: --no-log-syslog wins, then --log-syslog, then the
// platform's default (on for Windows, off elsewhere).
bool system_log_enabled(bool log_syslog, bool no_log_syslog) noexcept;

// A backup, rotate or import that committed (or, backup only, skipped on a passive node).
JobEvent job_committed_event(const backup::JobResult& result, std::string_view vault_dir);
// A job that failed: `job` is "backup", "rotate", "import", "restore" or "status".
JobEvent job_failed_event(std::string_view job, const Error& error, std::string_view vault_dir);
// A `restore apply` that completed (restore, drill or extract).
JobEvent restore_done_event(const restore::ApplyResult& result, std::string_view vault_dir);
// A `status` run that ended WARNING (1), CRITICAL (2) or UNKNOWN (3); nullopt for OK (0).
// `summary` is the one-line report (the Nagios line; its performance data is left out).
std::optional<JobEvent> status_event(int exit_code, std::string_view summary);

// Writes `event` to the system log when `enabled`; a failure to write is a warning on stderr,
// never a reason for the job to fail.
void report_job_event(bool enabled, const JobEvent& event);

}  // namespace ssoescrow
