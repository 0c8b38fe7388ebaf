// `ssoescrow status --vault DIR [--vault DIR2 ...] [--bridge CMD] [--format F] [--as-of TIME]`:
// the secret-freshness compliance check (src/freshness/status_checks.hpp) for monitoring systems
// and auditors. Read-only: takes no lock and writes nothing into the vault (the latest-seen state
// outside the vault moves forward, as with `vault check`, unless --no-state or --as-of).
// Monitoring convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (worst over every check of every
// vault; any error is 3). --output FILE writes the report to FILE atomically instead of stdout.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/bytes.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/bridge/bridge_client.hpp"
#include "src/cli/command.hpp"
#include "src/cli/job_options.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/exit_codes.hpp"
#include "src/freshness/status_report.hpp"
#include "src/job_events.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct StatusOptions {
    std::vector<std::string> vaults;
    std::string bridge;
    unsigned bridge_timeout_seconds = 60;
    std::string format = "text";
    std::string as_of;
    std::string max_backup_age;
    std::string critical_backup_age;
    std::string max_drill_age;
    std::string min_retention;
    std::string min_retained;
    std::string max_key_age;
    std::string state_dir;
    bool no_state = false;
    std::string output;
    bool log_syslog = false;
    bool no_log_syslog = false;
};

// "YYYY-MM-DDTHH:MM:SSZ", or a date "YYYY-MM-DD" meaning the end of that day (UTC): "were we
// compliant on 30 June?" asks about the whole day.
// --as-of: a time, or a date meaning the end of that day (UTC). Today's date, like "now" and
// "today", means now: the end of today has not come yet, and "how were we doing today" is the
// state now.
Result<vault::UnixTime> parse_as_of(const std::string& text, vault::UnixTime now) {
    if (text == "now" || text == "today")
        return now;
    if (text.size() == 10) {
        auto end_of_day = vault::parse_time(text + "T23:59:59Z", "--as-of");
        if (end_of_day) {
            const bool today = vault::format_time(now).compare(0, 10, text) == 0;
            return today ? now : *end_of_day;
        }
    }
    auto time = vault::parse_time(text, "--as-of");
    if (!time) {
        return make_error(Errc::usage, "--as-of \"" + text + "\" is not a time",
                          "give YYYY-MM-DDTHH:MM:SSZ (UTC), a date YYYY-MM-DD (its end; today "
                          "means now) or now");
    }
    return *time;
}

Result<std::optional<std::int64_t>> duration_flag(const std::string& text, std::string_view flag) {
    if (text.empty())
        return std::optional<std::int64_t>();
    auto value = vault::parse_duration_flag(text, flag);
    if (!value) {
        return make_error(Errc::usage, std::string(flag) + " \"" + text + "\" is not a duration",
                          "give a number and a unit s, m, h or d, e.g. 26h or 90d");
    }
    return std::optional<std::int64_t>(*value);
}

Result<freshness::PolicyOverrides> overrides_of(const StatusOptions& options) {
    freshness::PolicyOverrides o;
    TRY_ASSIGN(o.max_backup_age, duration_flag(options.max_backup_age, "--max-backup-age"));
    TRY_ASSIGN(o.critical_backup_age,
               duration_flag(options.critical_backup_age, "--critical-backup-age"));
    TRY_ASSIGN(o.max_drill_age, duration_flag(options.max_drill_age, "--max-drill-age"));
    TRY_ASSIGN(o.min_retention, duration_flag(options.min_retention, "--min-retention"));
    TRY_ASSIGN(o.max_key_age, duration_flag(options.max_key_age, "--max-key-age"));
    if (!options.min_retained.empty()) {
        auto n = vault::parse_integer(options.min_retained, "--min-retained");
        if (!n || *n == 0) {
            return make_error(Errc::usage, "--min-retained \"" + options.min_retained +
                                               "\" is not a count of at least 1");
        }
        o.min_retained = *n;
    }
    return o;
}

std::string render(const freshness::StatusRun& run, const std::string& format) {
    if (format == "json")
        return freshness::format_json(run);
    if (format == "prometheus")
        return freshness::format_prometheus(run);
    if (format == "nagios")
        return freshness::format_nagios(run);
    return freshness::format_text(run);
}

Result<freshness::VaultStatus> status_of_vault(const std::string& dir, const StatusOptions& options,
                                               freshness::CollectOptions collect) {
    auto opened = vault::Vault::open(platform::path_from_utf8(dir));
    if (!opened)
        return freshness::unopenable_vault(dir, opened.error());
    const bool keep_state = !options.no_state;
    std::optional<std::filesystem::path> state_dir;
    if (keep_state) {
        auto resolved = resolve_state_dir(options.state_dir, opened->vault_id());
        if (!resolved) {
            collect.seen_findings.push_back(
                {vault::Severity::warning, "seen-state-unavailable", "",
                 resolved.error().message + ": rollback detection skipped"});
        } else if (auto seen = vault::read_seen_state(*resolved); !seen) {
            collect.seen_findings.push_back(
                {vault::Severity::warning, "seen-state-unreadable", "",
                 seen.error().message + ": rollback detection skipped"});
        } else {
            collect.seen = *seen;
            state_dir = *resolved;
        }
    }
    if (collect.as_of && opened->config().created != 0 &&
        *collect.as_of < opened->config().created) {
        return freshness::vault_not_created_yet(dir, *collect.as_of, opened->config().created);
    }
    auto collected = freshness::collect_status_input(*opened, collect);
    if (!collected) {
        if (collected.error().code == Errc::usage)
            return std::move(collected).error();
        return freshness::unopenable_vault(dir, collected.error());
    }
    freshness::VaultStatus status = freshness::evaluate(*collected);
    // Like `vault check`: this machine witnesses the chain head, only forward and only when the
    // vault shows no damage. An as-of report describes the past and records nothing.
    if (state_dir && !collect.as_of && !vault::has_damage(collected->input.integrity)) {
        remember_seen_or_warn(options.state_dir, collected->chain, opened->vault_id(),
                              collected->input.wall_now);
    }
    return status;
}

Result<int> run_status(const StatusOptions& options) {
    freshness::CollectOptions collect;
    vault::Clock& clock = vault::system_clock();
    collect.clock = &clock;
    const vault::UnixTime now = clock.now();
    TRY_ASSIGN(collect.overrides, overrides_of(options));
    if (!options.as_of.empty()) {
        TRY_ASSIGN(const vault::UnixTime as_of, parse_as_of(options.as_of, now));
        if (as_of > now) {
            return make_error(
                Errc::usage,
                "--as-of " + vault::format_time(as_of) +
                    " is in the future (this machine's clock: " + vault::format_time(now) + ")",
                "--as-of reports a past state; leave it out for the state now");
        }
        if (!options.bridge.empty()) {
            return make_error(Errc::usage, "--as-of and --bridge cannot be combined",
                              "an as-of report is reconstructed from the audit log alone; the "
                              "live server says nothing about the past");
        }
        collect.as_of = as_of;
    }
    if (!options.bridge.empty()) {
        collect.bridge_given = true;
        TRY_ASSIGN(const bridge::BridgeClient client,
                   bridge::BridgeClient::from_command_line(
                       options.bridge, std::chrono::seconds(options.bridge_timeout_seconds)));
        auto live = client.status();
        if (live) {
            collect.live = std::move(live).value();
        } else {
            collect.live_error = live.error().message;
        }
    }

    freshness::StatusRun run;
    run.evaluated_at = now;
    run.as_of = collect.as_of;
    for (const std::string& dir : options.vaults) {
        TRY_ASSIGN(freshness::VaultStatus status, status_of_vault(dir, options, collect));
        run.vaults.push_back(std::move(status));
    }
    // A report that is not OK also goes to the system log (the one-line summary).
    if (auto event = status_event(run.exit_code(), freshness::format_nagios(run))) {
        report_job_event(system_log_enabled(options.log_syslog, options.no_log_syslog), *event);
    }
    const std::string report = render(run, options.format);
    if (!options.output.empty()) {
        // Written by the core itself, atomically: a scheduled task needs no shell redirection
        // (cmd.exe would reinterpret '&' or '%' in a path), and a monitoring system never reads
        // a half-written report. On failure the previous report stays.
        const std::filesystem::path file = platform::path_from_utf8(options.output);
        TRY(platform::write_file_durably(file, ssoescrow::as_bytes(report),
                                         platform::Overwrite::yes,
                                         platform::FinalMode::read_write));
        return run.exit_code();
    }
    std::cout << report;
    TRY(flush_stdout());
    return run.exit_code();
}

}  // namespace

void add_status_command(CLI::App& app, Command& selected) {
    auto options = std::make_shared<StatusOptions>();
    CLI::App* command = app.add_subcommand(
        "status", "Secret-freshness compliance check for monitoring systems and auditors");
    command
        ->add_option("--vault", options->vaults,
                     "Vault directory; repeat for several vaults (one report each, worst state "
                     "overall)")
        ->required();
    command->add_option("--bridge", options->bridge,
                        "SSO bridge command: compare with the live master secret and check the "
                        "cluster nodes (e.g. \"powershell -File sso-bridge.ps1\")");
    command
        ->add_option("--bridge-timeout", options->bridge_timeout_seconds,
                     "Seconds to wait for the bridge (default 60)")
        ->check(CLI::Range(1u, 3600u));
    CLI::Option* format =
        command
            ->add_option("--format", options->format,
                         "Output: text (default), json (schema ssoescrow-status/1), prometheus "
                         "(text exposition format) or nagios (one Monitoring Plugins line)")
            ->check(CLI::IsMember({"text", "json", "prometheus", "nagios"}));
    // The machine-output flag every command has (README "Using the command line").
    command
        ->add_flag_callback(
            "--json", [options] { options->format = "json"; }, "Same as --format json")
        ->excludes(format);
    command->add_option("--as-of", options->as_of,
                        "Report the state at a past time, from the audit log alone: "
                        "YYYY-MM-DDTHH:MM:SSZ, YYYY-MM-DD for the end of that day (UTC; today "
                        "means now), or now");
    command->add_option("--max-backup-age", options->max_backup_age,
                        "Override the vault's max-backup-age (WARNING above it), e.g. 26h");
    command->add_option("--critical-backup-age", options->critical_backup_age,
                        "Override the vault's critical-backup-age (CRITICAL above it), e.g. 3d");
    command->add_option("--max-drill-age", options->max_drill_age,
                        "Override the vault's max-drill-age (WARNING above it), e.g. 90d");
    command->add_option("--min-retained", options->min_retained,
                        "Override the vault's min-retained (verified backups expected)");
    command->add_option("--min-retention", options->min_retention,
                        "Override the vault's min-retention (how far back they must reach)");
    command->add_option("--max-key-age", options->max_key_age,
                        "Override the vault's max-key-age (a custodian key in the policy longer "
                        "is a WARNING), e.g. 365d");
    command->add_option("--state-dir", options->state_dir,
                        "Where this machine keeps the latest-seen audit head (rollback "
                        "detection; default ~/.local/state/ssoescrow)");
    command->add_option("--output", options->output,
                        "Write the report to this file (atomically replaced; the previous "
                        "report stays when the command fails) instead of stdout");
    add_system_log_flags(*command, options->log_syslog, options->no_log_syslog);
    command->add_flag("--no-state", options->no_state,
                      "Neither read nor update the latest-seen state (no rollback detection)");
    command->footer(
        "Checks: backup-age, msid-current, drill-age, retention, cluster-coverage,\n"
        "escrow-health, vault-integrity, clock-sanity (README: \"Freshness status\").\n"
        "Exit status (monitoring convention, worst state of every check of every vault):\n"
        "  0  OK        every check passed or did not apply\n"
        "  1  WARNING   at least one warning\n"
        "  2  CRITICAL  at least one critical check (e.g. the live secret has no backup)\n"
        "  3  UNKNOWN   a check could not be made (bridge failed, vault unreadable) and none is\n"
        "               critical, or the command line is wrong");
    command->callback([&selected, options] {
        selected.convention = ExitConvention::monitoring;
        selected.run = [options]() {
            auto outcome = run_status(*options);
            if (!outcome) {
                report_job_event(system_log_enabled(options->log_syslog, options->no_log_syslog),
                                 job_failed_event("status", outcome.error(), ""));
            }
            return outcome;
        };
    });
}

}  // namespace ssoescrow::cli
