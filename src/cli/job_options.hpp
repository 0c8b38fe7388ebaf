// Options and output shared by the vault-writing jobs `backup`, `rotate` and `import`
// (src/cli/backup.cpp, rotate.cpp, import.cpp).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "crypto/result.hpp"
#include "src/backup/backup_job.hpp"
#include "src/job_log.hpp"

namespace ssoescrow::cli {

struct JobCliOptions {
    std::string vault;
    std::string bridge;
    unsigned bridge_timeout_seconds = 120;
    std::string expect_policy;
    std::string temp_dir;
    std::string label;
    unsigned wait_seconds = 0;
    bool no_prune = false;
    bool json = false;
    std::string log_json;
    bool verbose = false;
    bool quiet = false;
    std::string state_dir;
    std::string signing_key;  // --signing-key FILE; empty: the host key of the state root
    bool skip_on_passive_node = false;
    bool log_syslog = false;     // --log-syslog: the result also goes to the system log
    bool no_log_syslog = false;  // --no-log-syslog: it does not (the Windows default is on)
};

// --log-syslog / --no-log-syslog, shared by every job that reports to the system log.
void add_system_log_flags(CLI::App& command, bool& log_syslog, bool& no_log_syslog);

// --vault, --expect-policy, --wait, --no-prune, --label, --json, --log-json, --verbose, --quiet,
// --state-dir, --signing-key, --log-syslog, --no-log-syslog; and --bridge (required when
// `bridge_required`), --bridge-timeout.
void add_job_options(CLI::App& command, JobCliOptions& options, bool bridge_required);

// Checks option values (fingerprint syntax, timeout range) before anything runs.
[[nodiscard]] Status validate_job_options(const JobCliOptions& options);

backup::VaultTarget vault_target_of(const JobCliOptions& options);
backup::BridgeTarget bridge_target_of(const JobCliOptions& options);
JobLog::Verbosity verbosity_of(const JobCliOptions& options);

// Runs `backup` or `rotate` with these options (validation, log, job, report); its result, or
// its failure, also goes to the system log (src/job_events.hpp) when enabled.
Result<int> run_bridge_job(backup::JobKind kind, const JobCliOptions& options);

// Prints the result (one line, or the JSON document with --json), remembers the audit head,
// logs the outcome (a committed or skipped job to the system log too; a failure is the
// caller's to report, see report_failure). Returns 0, or the prune error when the backup was
// committed but the prune after it failed.
Result<int> report_job(const Result<backup::JobResult>& outcome, const JobCliOptions& options,
                       JobLog& log);

// Reports a failed job (`job`: backup, rotate or import) to the system log when enabled, and
// returns `outcome` unchanged.
Result<int> report_failure(Result<int> outcome, std::string_view job, const JobCliOptions& options);

}  // namespace ssoescrow::cli
