// `vault prune`: plan, then execute; `--dry-run` prints the same plan and stops.
//
// A verified backup is kept when ANY of these holds (the first one found is the reason shown):
//   newest-of-current-msid  it is the newest backup of the newest MSID (never removed)
//   keep-last               it is among the newest keep-last backups
//   keep-within             it is younger than keep-within
//   min-retention           it is younger than max(min-retention, critical-backup-age): nothing
//                           inside the freshness window is ever removed
//   min-retained            removing it would leave fewer than min-retained verified backups
// Everything else verified is removed. Orphans are adopted first (an "adopt" record each) and
// then judged like the rest. Never removed: damaged and missing backups (they need a human:
// `vault check`). A "pruned"
// envelope (its prune record exists, the file survived an interrupted prune) is removed again.
//
// Execute (under the writer lock), per removal: check the lock is still ours; append the prune
// record (durable); then unlink the envelope and fsync envelopes/. A crash between the two leaves
// a "pruned" envelope (a warning), never a backup that vanished without a record.
#pragma once

#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "crypto/sign.hpp"
#include "vault/catalog.hpp"
#include "vault/clock.hpp"
#include "vault/lock.hpp"
#include "vault/vault.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::vault {

enum class PruneAction { keep, remove, adopt, skip };

std::string_view prune_action_name(PruneAction action) noexcept;

struct PruneDecision {
    CatalogEntry entry;
    PruneAction action = PruneAction::keep;
    std::string reason;
};

struct PrunePlan {
    std::vector<PruneDecision> decisions;  // newest first
    std::size_t count(PruneAction action) const noexcept;
};

PrunePlan plan_prune(const Catalog& catalog, const VaultConfig& config, UnixTime now);

struct PruneOptions {
    Clock* clock = nullptr;  // nullptr: system_clock()
    std::string actor;       // empty: current_actor()
    // Signs the adopt records. nullptr: orphans are left alone (reported, never adopted unsigned).
    const crypto::SigningKey* signer = nullptr;
};

struct PruneResult {
    PrunePlan plan;                    // the plan that was executed (made under the lock)
    std::vector<std::string> removed;  // backup ids
    std::vector<std::string> adopted;  // backup ids
};

// Under `lock` (held by the caller on this vault): removes leftover temp files, adopts orphans
// (an "adopt" record each), re-reads the catalog, plans again, and carries the plan out. Refuses
// (Errc::vault_damaged) when the audit chain is damaged: removing files from a vault whose history
// cannot be vouched for would destroy evidence.
// `history` is the one the writer verified under `lock`: its chain is extended, and its
// verified backups spare the full catalog (every envelope read) when envelopes/ holds exactly
// them; the envelopes a plan from them removes are hashed again first.
Result<PruneResult> execute_prune(const Vault& vault, WriterLock& lock, VerifiedHistory& history,
                                  const PruneOptions& options);

}  // namespace ssoescrow::vault
