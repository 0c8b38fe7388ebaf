// `ssoescrow status`: gathering what the checks need from a vault (read-only), evaluating them,
// and rendering the reports for people, programs, Prometheus and Nagios.
//
// --as-of TIME reconstructs the state at a past moment from the audit log: only records dated up
// to TIME count, backups created later are ignored, a backup pruned after TIME still counts (the
// hash chain vouches for it), and no bridge is called. The integrity check always looks at the
// vault as it is now (a damaged history cannot vouch for any past state).
//
// JSON, schema "ssoescrow-status/1" (keys always present, in this order; adding keys is a
// compatible change, removing or renaming one bumps the version):
//   { "schema": "ssoescrow-status/1",
//     "status": "ok" | "warning" | "critical" | "unknown",   worst over every vault
//     "exit_code": 0 | 1 | 2 | 3,
//     "evaluated_at": "RFC 3339 UTC",                         this machine's clock
//     "as_of": null | "RFC 3339 UTC",
//     "vaults": [ { "vault": "DIR as given", "vault_id": "32 hex" | null,
//                   "secret_server": "NAME" | null,
//                   "status": ..., "exit_code": ...,
//                   "summary": { "critical": N, "unknown": N, "warning": N, "ok": N,
//                                "not_applicable": N },
//                   "checks": [ { "id": "backup-age", "state": "ok" | "not_applicable" |
//                                 "warning" | "unknown" | "critical",
//                                 "summary": "...", "observed": "...", "threshold": "...",
//                                 "evidence": { ... check-specific, dated ... },
//                                 "fix": "..." } ] } ] }      checks in evaluation order
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "src/bridge/bridge_client.hpp"
#include "src/freshness/status_checks.hpp"
#include "vault/clock.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::freshness {

inline constexpr std::string_view k_status_schema = "ssoescrow-status/1";

struct PolicyOverrides {
    std::optional<std::int64_t> max_backup_age;
    std::optional<std::int64_t> critical_backup_age;
    std::optional<std::int64_t> max_drill_age;
    std::optional<std::uint64_t> min_retained;
    std::optional<std::int64_t> min_retention;
    std::optional<std::int64_t> max_key_age;
};

// The vault's freshness policy with the overrides applied. Errc::usage when the result breaks a
// rule (critical-backup-age below max-backup-age, a zero age or count).
Result<vault::FreshnessPolicy> effective_policy(const vault::FreshnessPolicy& base,
                                                const PolicyOverrides& overrides);

struct CollectOptions {
    std::optional<vault::UnixTime> as_of;
    vault::Clock* clock = nullptr;  // nullptr: system_clock()
    PolicyOverrides overrides;
    std::optional<vault::SeenState> seen;  // latest-seen state to compare the chain with
    vault::Findings seen_findings;         // why the comparison could not be made, if so
    bool bridge_given = false;
    std::optional<bridge::ServerStatus> live;
    std::string live_error;
};

struct Collected {
    StatusInput input;
    vault::AuditChain chain;  // the whole chain as read (to remember it as seen)
    std::string secret_server;
};

// Reads the vault (vault check, catalog, audit chain), read-only. Errors: the overrides are
// invalid (usage), or the vault could not be listed at all.
Result<Collected> collect_status_input(const vault::Vault& vault, const CollectOptions& options);

struct VaultStatus {
    std::string vault;
    std::optional<std::string> vault_id;
    std::optional<std::string> secret_server;
    std::vector<CheckResult> checks;  // evaluation order
    CheckState overall = CheckState::unknown;
};

VaultStatus evaluate(const Collected& collected);
// The report for a vault that could not be opened: damaged config (vault-integrity CRITICAL) or
// anything else (UNKNOWN), with the error's message and hint.
VaultStatus unopenable_vault(const std::string& dir, const Error& error);
// The report of an --as-of time before the vault was created (UNKNOWN: nothing to judge, and
// "take a backup now" would be the wrong advice about the past).
VaultStatus vault_not_created_yet(const std::string& dir, vault::UnixTime as_of,
                                  vault::UnixTime created);

struct StatusRun {
    std::vector<VaultStatus> vaults;
    vault::UnixTime evaluated_at = 0;
    std::optional<vault::UnixTime> as_of;

    CheckState overall() const noexcept;
    int exit_code() const noexcept;
};

// Checks sorted worst first (stable: evaluation order within a state).
std::vector<const CheckResult*> worst_first(const VaultStatus& status);

std::string format_text(const StatusRun& run);
std::string format_json(const StatusRun& run);
std::string format_prometheus(const StatusRun& run);
std::string format_nagios(const StatusRun& run);
// The one line a Monitoring Plugins check prints when it cannot check at all (exit 3).
std::string nagios_unknown_line(std::string_view message);

}  // namespace ssoescrow::freshness
