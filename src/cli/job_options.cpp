#include "src/cli/job_options.hpp"
#include "src/json_output.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "platform/path_text.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/job_events.hpp"
#include "src/signing_key.hpp"
#include "vault/audit_log.hpp"
#include "vault/policy.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

constexpr unsigned k_max_bridge_timeout_seconds = 3600;

bool is_policy_fingerprint(const std::string& text) {
    if (text.size() != vault::k_policy_fingerprint_size ||
        text.compare(0, vault::k_policy_fingerprint_prefix.size(),
                     vault::k_policy_fingerprint_prefix) != 0) {
        return false;
    }
    for (std::size_t i = vault::k_policy_fingerprint_prefix.size(); i < text.size(); ++i) {
        const char c = text[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

std::string result_line(const backup::JobResult& result) {
    std::string line =
        std::string(backup::job_name(result.kind)) + " " + result.stored.backup_id +
        " committed: current MSID " + result.source.current_msid + ", previous MSID " +
        (result.source.previous_msid.empty() ? std::string("none") : result.source.previous_msid) +
        ", " + result.stored.path;
    if (!result.pruned.empty())
        line += ", " + std::to_string(result.pruned.size()) + " pruned";
    return line;
}

nlohmann::ordered_json result_json(const backup::JobResult& result) {
    nlohmann::ordered_json doc;
    doc["schema"] = "ssoescrow-job-result/1";
    doc["operation"] = backup::job_name(result.kind);
    doc["skipped"] = nullptr;
    doc["backup_id"] = result.stored.backup_id;
    doc["created"] = vault::format_time(result.created);
    doc["envelope"] = result.stored.path;
    doc["envelope_sha256"] = result.stored.envelope_hash;
    doc["audit_seq"] = result.stored.audit_seq;
    doc["policy"] = result.policy_fingerprint;
    doc["computer"] = result.source.computer;
    doc["secret_server"] = result.source.secret_server;
    doc["current_msid"] = msid_or_null(result.source.current_msid);
    doc["previous_msid"] = msid_or_null(result.source.previous_msid);
    doc["label"] = result.source.label;
    doc["bak_size"] = result.bak_size;
    doc["pruned"] = result.pruned;
    doc["prune_error"] = result.prune_error ? nlohmann::ordered_json(result.prune_error->message)
                                            : nlohmann::ordered_json(nullptr);
    return doc;
}

}  // namespace

void add_job_options(CLI::App& command, JobCliOptions& options, bool bridge_required) {
    command.add_option("--vault", options.vault, "Vault directory")->required();
    auto* bridge = command.add_option(
        "--bridge", options.bridge,
        "The SSO bridge command line (split like a POSIX shell, no shell involved; the "
        "operation name is appended)");
    if (bridge_required)
        bridge->required();
    command.add_option("--bridge-timeout", options.bridge_timeout_seconds,
                       "Seconds a bridge call may take before it is killed (default 120)");
    command.add_option("--expect-policy", options.expect_policy,
                       "Refuse unless the vault's escrow policy has this fingerprint "
                       "(sha256:..., printed by 'vault init'); scheduled jobs always pin it. "
                       "Without it, the policy this host pinned on first use is enforced; "
                       "given, it becomes this host's pin");
    command.add_option("--wait", options.wait_seconds,
                       "Seconds to wait for another writer's lock (default 0: fail at once)");
    command.add_flag("--no-prune", options.no_prune,
                     "Do not prune per the retention policy after committing");
    command.add_option("--label", options.label,
                       "A note stored with the backup (at most 255 characters)");
    command.add_option("--temp-dir", options.temp_dir,
                       "Local directory for the private scratch directory (default: $TMPDIR or "
                       "/tmp)");
    command.add_flag("--json", options.json, "Print the result as JSON (ssoescrow-job-result/1)");
    command.add_option("--log-json", options.log_json,
                       "Append every event as a JSON line to this file (ssoescrow-log/1)");
    command.add_flag("--verbose,-v", options.verbose, "Also show debug events on stderr");
    command.add_flag("--quiet,-q", options.quiet, "Only warnings and errors on stderr");
    command.add_option("--state-dir", options.state_dir,
                       "Where this machine remembers the newest audit record it has seen and "
                       "the policy it pinned, and its signing key (default "
                       "~/.local/state/ssoescrow)");
    command.add_option("--signing-key", options.signing_key,
                       "Sign with this key file ('signer keygen') instead of the host's key in "
                       "the state directory");
    add_system_log_flags(command, options.log_syslog, options.no_log_syslog);
}

void add_system_log_flags(CLI::App& command, bool& log_syslog, bool& no_log_syslog) {
    command.add_flag("--log-syslog", log_syslog,
                     "Also write the result to the system log (syslog/journald; on Windows the "
                     "Application event log, source ssoescrow, which is on by default)");
    command.add_flag("--no-log-syslog", no_log_syslog,
                     "Do not write the result to the system log (turns the Windows default off)");
}

Status validate_job_options(const JobCliOptions& options) {
    if (!options.expect_policy.empty() && !is_policy_fingerprint(options.expect_policy)) {
        return make_error(Errc::usage,
                          "--expect-policy: '" + options.expect_policy +
                              "' is not a policy fingerprint (sha256: and 64 lower-case hex "
                              "digits)");
    }
    if (options.bridge_timeout_seconds == 0 ||
        options.bridge_timeout_seconds > k_max_bridge_timeout_seconds) {
        return make_error(Errc::usage, "--bridge-timeout: give 1 to " +
                                           std::to_string(k_max_bridge_timeout_seconds) +
                                           " seconds");
    }
    if (options.verbose && options.quiet)
        return make_error(Errc::usage, "--verbose and --quiet exclude each other");
    return {};
}

backup::VaultTarget vault_target_of(const JobCliOptions& options) {
    backup::VaultTarget target;
    target.vault_dir = platform::path_from_utf8(options.vault);
    target.expect_policy = options.expect_policy;
    target.state_root = platform::path_from_utf8(options.state_dir);
    target.lock_wait = std::chrono::seconds(options.wait_seconds);
    target.prune = !options.no_prune;
    target.label = options.label;
    return target;
}

backup::BridgeTarget bridge_target_of(const JobCliOptions& options) {
    backup::BridgeTarget target;
    target.command = options.bridge;
    target.timeout = std::chrono::seconds(options.bridge_timeout_seconds);
    return target;
}

JobLog::Verbosity verbosity_of(const JobCliOptions& options) {
    if (options.verbose)
        return JobLog::Verbosity::verbose;
    return options.quiet ? JobLog::Verbosity::quiet : JobLog::Verbosity::normal;
}

namespace {

Result<int> run_bridge_job_unreported(backup::JobKind kind, const JobCliOptions& options) {
    TRY(validate_job_options(options));
    vault::Clock& clock = vault::system_clock();
    JobLog log(std::string(backup::job_name(kind)), verbosity_of(options), clock);
    if (!options.log_json.empty())
        TRY(log.open_json(platform::path_from_utf8(options.log_json)));
    TRY_ASSIGN(const crypto::SigningKey signer,
               signing_key_for(options.signing_key, options.state_dir));
    backup::BackupJobOptions job;
    job.vault = vault_target_of(options);
    job.vault.signer = &signer;
    job.bridge = bridge_target_of(options);
    job.temp_parent = platform::path_from_utf8(options.temp_dir);
    job.skip_on_passive_node = options.skip_on_passive_node;
    return report_job(backup::run_backup_job(kind, job, log, clock), options, log);
}

}  // namespace

Result<int> run_bridge_job(backup::JobKind kind, const JobCliOptions& options) {
    return report_failure(run_bridge_job_unreported(kind, options), backup::job_name(kind),
                          options);
}

Result<int> report_failure(Result<int> outcome, std::string_view job,
                           const JobCliOptions& options) {
    if (!outcome) {
        report_job_event(system_log_enabled(options.log_syslog, options.no_log_syslog),
                         job_failed_event(job, outcome.error(), options.vault));
    }
    return outcome;
}

Result<int> report_job(const Result<backup::JobResult>& outcome, const JobCliOptions& options,
                       JobLog& log) {
    if (!outcome) {
        log.failure(outcome.error());
        return outcome.error();
    }
    const backup::JobResult& result = outcome.value();
    if (!result.prune_error) {
        report_job_event(system_log_enabled(options.log_syslog, options.no_log_syslog),
                         job_committed_event(result, options.vault));
    }
    if (result.skipped_reason) {
        if (options.json) {
            nlohmann::ordered_json doc;
            doc["schema"] = "ssoescrow-job-result/1";
            doc["operation"] = backup::job_name(result.kind);
            doc["skipped"] = *result.skipped_reason;
            std::cout << doc.dump(2) << "\n";
        } else {
            std::cout << backup::job_name(result.kind) << " skipped: " << *result.skipped_reason
                      << "\n";
        }
        TRY(flush_stdout());
        return 0;
    }
    if (options.json)
        std::cout << result_json(result).dump(2) << "\n";
    else
        std::cout << result_line(result) << "\n";
    TRY(flush_stdout());
    if (result.prune_error) {
        Error error = *result.prune_error;
        error.message = "backup " + result.stored.backup_id +
                        " is committed, but pruning failed: " + error.message;
        log.failure(error);
        return error;
    }
    return 0;
}

}  // namespace ssoescrow::cli
