#include "vault/prune.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/test_hooks.hpp"

namespace ssoescrow::vault {

namespace {

AuditRecord sealing_record(AuditType type, const CatalogEntry& e, UnixTime now,
                           const std::string& actor) {
    AuditRecord record;
    record.type = type;
    record.time = now;
    record.actor = actor;
    record.fields.push_back({"backup", e.backup_id});
    record.fields.push_back({"envelope", e.envelope_hash});
    record.fields.push_back({"created", format_time(e.created)});
    record.fields.push_back({"computer", e.computer});
    record.fields.push_back({"current-msid", e.current_msid});
    if (!e.previous_msid.empty())
        record.fields.push_back({"previous-msid", e.previous_msid});
    if (!e.label.empty())
        record.fields.push_back({"label", e.label});
    record.fields.push_back({"policy", e.policy_fingerprint});
    return record;
}

// Adopts every orphan of `catalog` with an adopt record each (signed by options.signer; none
// without one) and counts it verified from then on, as a catalog read again would.
Status adopt_orphans(const Vault& vault, WriterLock& lock, VerifiedHistory& history,
                     Catalog& catalog, const PruneOptions& options, Clock& clock,
                     const std::string& actor, PruneResult& result) {
    for (CatalogEntry& e : catalog.entries) {
        // An orphan is a verified envelope (signed by a signer of its policy, sealed for this
        // vault) without its record; only a signing host can vouch for it with an adopt record.
        if (e.state != BackupState::orphan || options.signer == nullptr)
            continue;
        TRY(lock.refresh_if_due());
        TRY_ASSIGN(const ChainRecord adopted,
                   append_to_history(vault, history,
                                     sealing_record(AuditType::adopt, e, clock.now(), actor),
                                     options.signer));
        e.state = BackupState::verified;
        e.problem.clear();
        e.audit_seq = adopted.record.seq;
        e.recorded_as = std::string(audit_type_name(AuditType::adopt));
        result.adopted.push_back(e.backup_id);
    }
    if (!result.adopted.empty()) {
        sort_catalog_entries(catalog.entries);
        catalog.index_entries();
    }
    return {};
}

}  // namespace

std::string_view prune_action_name(PruneAction action) noexcept {
    switch (action) {
        case PruneAction::keep:
            return "keep";
        case PruneAction::remove:
            return "remove";
        case PruneAction::adopt:
            return "adopt";
        case PruneAction::skip:
            return "skip";
    }
    return "skip";
}

std::size_t PrunePlan::count(PruneAction action) const noexcept {
    return static_cast<std::size_t>(
        std::count_if(decisions.begin(), decisions.end(),
                      [action](const PruneDecision& d) { return d.action == action; }));
}

PrunePlan plan_prune(const Catalog& catalog, const VaultConfig& config, UnixTime now) {
    PrunePlan plan;
    const RetentionPolicy& keep = config.retention;
    const FreshnessPolicy& fresh = config.freshness;
    const std::int64_t window = std::max(fresh.min_retention, fresh.critical_backup_age);

    const CatalogEntry* newest = catalog.newest_verified();
    const std::string newest_msid = newest != nullptr ? newest->current_msid : std::string();
    bool newest_of_msid_seen = false;
    std::size_t verified_index = 0;
    std::size_t kept = 0;

    for (auto it = catalog.entries.rbegin(); it != catalog.entries.rend(); ++it) {
        const CatalogEntry& e = *it;
        PruneDecision d{e, PruneAction::keep, {}};
        const std::int64_t age = std::max<std::int64_t>(0, now - e.created);
        switch (e.state) {
            case BackupState::verified:
                if (!newest_of_msid_seen && e.current_msid == newest_msid) {
                    newest_of_msid_seen = true;
                    d.reason = "newest backup of the current MSID";
                } else if (verified_index < keep.keep_last) {
                    d.reason = "keep-last " + std::to_string(keep.keep_last);
                } else if (age < keep.keep_within) {
                    d.reason = "keep-within " + format_duration(keep.keep_within);
                } else if (age < window) {
                    d.reason = "younger than the retention window " + format_duration(window);
                } else {
                    d.action = PruneAction::remove;
                    d.reason = "older than keep-within " + format_duration(keep.keep_within) +
                               " and not among the newest " + std::to_string(keep.keep_last);
                }
                ++verified_index;
                if (d.action == PruneAction::keep)
                    ++kept;
                break;
            case BackupState::orphan:
                d.action = PruneAction::adopt;
                d.reason = "no audit record: adopted first, then judged like the others";
                break;
            case BackupState::pruned:
                d.action = PruneAction::remove;
                d.reason = "completing an interrupted prune";
                break;
            case BackupState::missing:
            case BackupState::damaged:
                d.action = PruneAction::skip;
                d.reason = std::string(backup_state_name(e.state)) +
                           ": never removed by prune; run 'vault check'";
                break;
        }
        plan.decisions.push_back(std::move(d));
    }
    // min-retained: turn the newest removals back into keeps until the floor is met.
    for (PruneDecision& d : plan.decisions) {
        if (kept >= fresh.min_retained)
            break;
        if (d.action == PruneAction::remove && d.entry.state == BackupState::verified) {
            d.action = PruneAction::keep;
            d.reason = "min-retained " + std::to_string(fresh.min_retained);
            ++kept;
        }
    }
    return plan;
}

namespace {

// The catalog a writer needs, from what its history already vouches for: every envelope file
// named for one of the verified backups, and nothing else. std::nullopt (build the full catalog)
// when the history does not know its backups, or envelopes/ holds anything else: an orphan, a
// missing, pruned or unknown backup is for the full catalog to judge.
Result<std::optional<Catalog>> catalog_from_history(const Vault& vault,
                                                    const VerifiedHistory& history) {
    if (!history.backups_known)
        return std::optional<Catalog>();
    std::unordered_map<std::string_view, const CachedBackup*> by_id;
    by_id.reserve(history.backups.size());
    for (const CachedBackup& b : history.backups)
        by_id.emplace(b.backup_id, &b);
    std::size_t matched = 0;
    bool other = false;
    TRY(platform::for_each_directory_name(vault.envelopes_dir(), [&](std::string_view name) {
        if (platform::is_temp_name(name))
            return Status();
        const bool envelope_name = name.size() == 32 + k_envelope_file_suffix.size() &&
                                   name.substr(32) == k_envelope_file_suffix;
        if (envelope_name && by_id.count(name.substr(0, 32)) != 0)
            ++matched;
        else
            other = true;
        return Status();
    }));
    if (other || matched != by_id.size())
        return std::optional<Catalog>();
    Catalog catalog;
    catalog.entries.reserve(history.backups.size());
    for (const CachedBackup& b : history.backups) {
        CatalogEntry entry;
        entry.backup_id = b.backup_id;
        entry.created = b.created;
        entry.current_msid = b.current_msid;
        entry.path =
            std::string(k_envelopes_dir) + "/" + b.backup_id + std::string(k_envelope_file_suffix);
        entry.envelope_hash = b.envelope;
        entry.state = BackupState::verified;
        entry.audit_seq = b.seq;
        catalog.entries.push_back(std::move(entry));
    }
    sort_catalog_entries(catalog.entries);
    catalog.index_entries();
    return std::optional<Catalog>(std::move(catalog));
}

// Whether every envelope `plan` removes is still the file its record vouches for: a history from
// the head cache did not re-read the files, and prune never removes a damaged one.
Result<bool> removals_still_verified(const Vault& vault, const PrunePlan& plan) {
    for (const PruneDecision& d : plan.decisions) {
        if (d.action != PruneAction::remove)
            continue;
        auto bytes = platform::read_file(vault.dir() / platform::path_from_utf8(d.entry.path),
                                         k_max_envelope_file_size);
        if (!bytes || to_hex(crypto::sha256(*bytes)) != d.entry.envelope_hash)
            return false;
    }
    return true;
}

}  // namespace

Result<PruneResult> execute_prune(const Vault& vault, WriterLock& lock, VerifiedHistory& history,
                                  const PruneOptions& options) {
    Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
    const std::string actor = options.actor.empty() ? current_actor() : options.actor;
    TRY(lock.check_still_held());
    TRY(platform::remove_stale_temp_files(vault.dir()));
    TRY(platform::remove_stale_temp_files(vault.envelopes_dir()));
    TRY(remove_listed_temp_files(vault, history.chain));

    PruneResult result;
    read_pending_backups(history);
    TRY_ASSIGN(std::optional<Catalog> fast, catalog_from_history(vault, history));
    if (fast) {
        result.plan = plan_prune(*fast, vault.config(), clock.now());
        TRY_ASSIGN(const bool intact, removals_still_verified(vault, result.plan));
        if (!intact)
            fast.reset();
    }
    if (!fast) {
        if (!history.chain.complete) {
            // The full catalog needs every record: read and verify the chain once more (under
            // the same lock, so it can only have grown by our own records).
            TRY_ASSIGN(AuditChain full, read_audit_chain(vault.dir(), vault.vault_id()));
            if (full.intact() && full.head_hash() != history.chain.head_hash()) {
                return make_error(Errc::lock_lost, "the audit log of " +
                                                       platform::path_to_utf8(vault.dir()) +
                                                       " changed while this writer held the lock");
            }
            history.chain = std::move(full);
        }
        if (!history.chain.intact()) {
            return make_error(
                Errc::vault_damaged,
                "the audit log of " + platform::path_to_utf8(vault.dir()) +
                    " is damaged; prune removes nothing from a vault whose history "
                    "cannot be verified",
                "run 'ssoescrow vault check --vault " + platform::path_to_utf8(vault.dir()) + "'");
        }
        TRY_ASSIGN(Catalog catalog, build_catalog(vault, history.chain));
        TRY(adopt_orphans(vault, lock, history, catalog, options, clock, actor, result));
        history.backups = verified_backups_of(catalog);
        history.backups_known = true;
        result.plan = plan_prune(catalog, vault.config(), clock.now());
    }

    for (const PruneDecision& d : result.plan.decisions) {
        if (d.action != PruneAction::remove)
            continue;
        TRY(lock.refresh_if_due());
        if (d.entry.state == BackupState::verified) {
            AuditRecord record;
            record.type = AuditType::prune;
            record.time = clock.now();
            record.actor = actor;
            record.fields.push_back({"backup", d.entry.backup_id});
            record.fields.push_back({"envelope", d.entry.envelope_hash});
            record.fields.push_back({"reason", d.reason});
            TRY(append_to_history(vault, history, std::move(record)));
            platform::test_hooks::crash_point("prune-after-record");
        }
        TRY(lock.check_still_held());
        TRY(platform::remove_file_durably(vault.dir() / d.entry.path));
        platform::test_hooks::crash_point("prune-after-unlink");
        result.removed.push_back(d.entry.backup_id);
    }
    return result;
}

}  // namespace ssoescrow::vault
