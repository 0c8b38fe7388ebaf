// The secret-freshness compliance checks behind `ssoescrow status` (README "Freshness status").
//
// Each check is a pure function of a StatusInput (what the vault, its audit log, the latest-seen
// state and, optionally, the live SSO server said) and returns one CheckResult: a stable id, a
// state, the observed value, the threshold, dated evidence and the fix. No check reads a file,
// calls the bridge or looks at a clock, so every one is unit-tested on hand-made inputs.
//
//   id                state when it fails             what it compares
//   backup-age        WARNING / CRITICAL              newest verified backup vs max-backup-age /
//                                                     critical-backup-age; none at all: CRITICAL
//   msid-current      CRITICAL / WARNING              the live (bridge) or newest recorded MSID has
//                                                     a verified backup; WARNING while its newest
//                                                     backup's password is unproven (typed at
//                                                     import, no restore has used it yet)
//   drill-age         WARNING                         newest drill or restore vs max-drill-age
//   retention         WARNING                         min-retained verified backups reaching back
//                                                     min-retention (both capped by the vault's
//                                                     own history: a young vault is not penalised)
//   cluster-coverage  CRITICAL                        every possible owner of the SSO group holds
//                                                     the live MSID (needs --bridge; else N/A)
//   escrow-health     WARNING / CRITICAL              a spare custodian; newest backup sealed to
//                                                     the current policy; no retained backup
//                                                     sealed to a departed custodian (CRITICAL
//                                                     when departures leave fewer than K);
//                                                     no key in the policy beyond max-key-age
//   vault-integrity   CRITICAL / WARNING              vault check: structure, envelopes, audit
//                                                     chain, rollback against the latest-seen state
//   clock-sanity      WARNING                         no timestamp in the future, no clock stepped
//                                                     back
//
// States rank OK = N/A < WARNING < UNKNOWN < CRITICAL: an UNKNOWN may hide a CRITICAL, so it
// outranks a WARNING, but a known CRITICAL is always reported as such. Exit codes follow the
// monitoring convention of the worst state (N/A counts as OK).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"
#include "src/bridge/bridge_client.hpp"
#include "src/freshness/cluster_coverage.hpp"
#include "vault/audit_log.hpp"
#include "vault/config.hpp"
#include "vault/finding.hpp"
#include "vault/rekey_pending.hpp"

namespace ssoescrow::freshness {

enum class CheckState { ok, not_applicable, warning, unknown, critical };

// "OK", "N/A", "WARNING", "UNKNOWN", "CRITICAL" (text and Nagios output).
std::string_view state_label(CheckState state) noexcept;
// "ok", "not_applicable", "warning", "unknown", "critical" (JSON).
std::string_view state_name(CheckState state) noexcept;
// 0 OK/N/A, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
int state_exit_code(CheckState state) noexcept;
// Orders states for "worst first": higher is worse.
int state_rank(CheckState state) noexcept;
CheckState worse(CheckState a, CheckState b) noexcept;

// A number for Prometheus and Nagios performance data.
struct Metric {
    std::string name;  // without the "ssoescrow_" prefix, unit suffixed: "backup_age_seconds"
    std::string help;
    double value = 0;
    std::string perf_label;  // Nagios label ("backup_age"); empty: not in the perfdata
    std::string perf_unit;   // "s" or ""
    // Monitoring Plugins threshold ranges ("" none; "N" alert above N; "N:" alert below N).
    std::string warn_range;
    std::string crit_range;
};

struct CheckResult {
    std::string id;
    CheckState state = CheckState::unknown;
    std::string summary;    // one line, lower case
    std::string observed;   // the observed value, for people ("30h 5m", "{MSID}", "3 of 7")
    std::string threshold;  // what it is compared with ("warning 26h, critical 3d"), or ""
    nlohmann::ordered_json evidence = nlohmann::ordered_json::object();  // dated facts
    std::string fix;  // what to do; "" when the state is OK or N/A
    std::vector<Metric> metrics;
};

// A backup as it stood at the evaluation time, from its sealing record (backup, rotate, import,
// adopt) and, when the file is still in the vault, its catalog state.
struct StatusBackup {
    std::string id;
    vault::UnixTime created = 0;   // the envelope's creation time (record field "created")
    vault::UnixTime recorded = 0;  // the sealing record's time
    std::string kind;              // "backup", "rotate", "import", "adopt", "rekey"
    // For a rekeyed backup: the backups it succeeds, oldest first (their drills count for it).
    std::vector<std::string> predecessors;
    std::string computer;
    std::string current_msid;  // "unknown" for an import without MSIDs: never current
    std::string previous_msid;
    std::string policy;  // "sha256:..."
    // Who holds a share: the envelope's stanzas when the file is there, else the custodians its
    // policy's vault-init / policy-change record names. Empty and 0 when neither is known.
    std::vector<std::string> custodians;
    unsigned threshold = 0;
    std::uint64_t seq = 0;
    // "verified" (file present and verified now), "pruned-later" (pruned after the as-of time:
    // vouched for by the audit chain), or the catalog state that makes it unusable ("missing",
    // "damaged", "pruned").
    std::string state;
    bool usable = false;
    // Where its .bak password came from: "generated" (backup, rotate: ssoescrow generated it and
    // ENTSSO wrote the .bak with it), "typed" (import: a person typed it) or "unknown" (adopt:
    // an orphan envelope of either). Only a generated password counts as proven by itself.
    std::string password = "generated";
    // The newest visible drill or restore record in which ENTSSO accepted it (a restore, or a
    // drill on a drill server); 0: none.
    std::uint64_t password_proof_seq = 0;
    vault::UnixTime password_proof_time = 0;
    std::string password_proof_node;

    bool password_proven() const noexcept {
        return password == "generated" || password_proof_seq != 0;
    }
};

struct StatusInput {
    std::string vault;             // the directory as given
    std::string vault_id;          // 32 hex
    vault::UnixTime now = 0;       // the evaluation time: the clock, or --as-of
    vault::UnixTime wall_now = 0;  // the clock (future timestamps are judged against it)
    bool as_of = false;
    vault::UnixTime vault_created = 0;
    vault::FreshnessPolicy policy;        // effective: the vault's, with command-line overrides
    unsigned threshold = 0;               // K of the escrow policy
    std::vector<std::string> recipients;  // fingerprints of the current policy
    std::vector<std::string> recipient_labels;
    std::string policy_fingerprint;

    std::vector<StatusBackup> backups;          // every sealing record visible, ascending seq
    std::vector<vault::ChainRecord> records;    // the visible audit records, ascending seq
    std::size_t chain_records = 0;              // every record of the chain as it is now
    std::vector<vault::RestoreReceipt> drills;  // drill and restore records visible

    bool integrity_checked = false;
    vault::Findings integrity;  // check_vault findings plus the latest-seen comparison

    // A rekey ceremony prepared with --verify-custodians, awaiting the new custodians' proofs
    // (and not expired): the fix for a departure is to finish it, not to start another.
    std::optional<vault::RekeyAwaitingProof> rekey_awaiting;

    bool bridge_given = false;
    std::optional<bridge::ServerStatus> live;
    std::string live_error;  // the bridge error, when the call failed
};

// A freshness::RestoreReceipt per machine known to hold an MSID: every `restore` record (a drill
// installs nothing on a live server, so it never counts) and the computer every backup, rotate,
// import or adoption was taken from (its registry held that secret). Imports and records whose
// computer or MSID is "unknown" prove nothing. Shared by `status` and `topology check --vault`.
std::vector<RestoreReceipt> node_receipts(const std::vector<vault::ChainRecord>& records);

// The newest usable backup, and the newest usable backup with a known MSID (nullptr if none).
const StatusBackup* newest_usable(const std::vector<StatusBackup>& backups);
const StatusBackup* newest_usable_with_msid(const std::vector<StatusBackup>& backups);

bool msid_known(std::string_view msid) noexcept;

// "3d 4h", "5h 2m", "45s" (for people; thresholds use vault::format_duration).
std::string human_duration(std::int64_t seconds);

CheckResult check_backup_age(const StatusInput& input);
CheckResult check_msid_current(const StatusInput& input);
CheckResult check_drill_age(const StatusInput& input);
CheckResult check_retention(const StatusInput& input);
CheckResult check_cluster_coverage(const StatusInput& input);
CheckResult check_escrow_health(const StatusInput& input);
CheckResult check_vault_integrity(const StatusInput& input);
CheckResult check_clock_sanity(const StatusInput& input);

// All of them, in the order above.
std::vector<CheckResult> run_checks(const StatusInput& input);

}  // namespace ssoescrow::freshness
