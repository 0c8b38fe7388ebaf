#include "vault/prune.hpp"

#include <algorithm>

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

Result<PruneResult> execute_prune(const Vault& vault, WriterLock& lock,
                                  const PruneOptions& options) {
    Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
    const std::string actor = options.actor.empty() ? current_actor() : options.actor;
    TRY(lock.check_still_held());
    TRY(platform::remove_stale_temp_files(vault.dir()));
    TRY(platform::remove_stale_temp_files(vault.envelopes_dir()));
    TRY(platform::remove_stale_temp_files(vault.audit_dir()));

    PruneResult result;
    TRY_ASSIGN(Catalog catalog, build_catalog(vault));
    if (!catalog.chain.intact()) {
        return make_error(
            Errc::vault_damaged,
            "the audit log of " + platform::path_to_utf8(vault.dir()) +
                " is damaged; prune removes nothing from a vault whose history "
                "cannot be verified",
            "run 'ssoescrow vault check --vault " + platform::path_to_utf8(vault.dir()) + "'");
    }
    for (const CatalogEntry& e : catalog.entries) {
        // An orphan is a verified envelope (signed by a signer of its policy, sealed for this
        // vault) without its record; only a signing host can vouch for it with an adopt record.
        if (e.state != BackupState::orphan || options.signer == nullptr)
            continue;
        TRY(lock.refresh_if_due());
        TRY(append_audit_record(vault.dir(), catalog.chain,
                                sealing_record(AuditType::adopt, e, clock.now(), actor),
                                options.signer));
        result.adopted.push_back(e.backup_id);
    }
    if (!result.adopted.empty()) {
        TRY_ASSIGN(catalog, build_catalog(vault));
    }

    result.plan = plan_prune(catalog, vault.config(), clock.now());
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
            TRY(append_audit_record(vault.dir(), catalog.chain, std::move(record)));
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
