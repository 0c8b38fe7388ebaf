#include "vault/writer.hpp"

#include <algorithm>
#include <string>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "vault/audit_log.hpp"
#include "vault/custodians.hpp"
#include "vault/host_state.hpp"
#include "vault/rekey_pending.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::vault {

namespace {

std::string record_name(const ChainRecord& r) {
    return "record " + std::to_string(r.record.seq) + ", " +
           std::string(audit_type_name(r.record.type));
}

std::string check_command(const Vault& vault) {
    return "'ssoescrow vault check --vault " + platform::path_to_utf8(vault.dir()) + "'";
}

}  // namespace

bool records_config(AuditType type) noexcept {
    return type == AuditType::vault_init || type == AuditType::policy_change ||
           type == AuditType::config_change;
}

std::string_view recorded_config_hash(const AuditRecord& record) {
    return record.type == AuditType::vault_init ? record.field("config")
                                                : record.field("new-config");
}

std::vector<const ChainRecord*> config_changes_of_policy(const AuditChain& chain) {
    std::vector<const ChainRecord*> out;
    std::string_view policy;
    for (const ChainRecord& r : chain.records) {
        if (!records_config(r.record.type))
            continue;
        if (r.record.type == AuditType::config_change && r.record.field("policy") != policy)
            out.push_back(&r);
        policy = r.record.field("policy");
    }
    return out;
}

RecordedPolicy recorded_policy(const AuditChain& chain) {
    RecordedPolicy out;
    for (auto it = chain.records.rbegin(); it != chain.records.rend(); ++it) {
        const AuditRecord& r = it->record;
        if (!records_config(r.type))
            continue;
        out.record = &*it;
        out.policy = std::string(r.field("policy"));
        out.config = std::string(recorded_config_hash(r));
        break;
    }
    return out;
}

Status check_config_recorded(const Vault& vault, const AuditChain& chain) {
    const std::string dir = platform::path_to_utf8(vault.dir());
    const RecordedPolicy recorded = recorded_policy(chain);
    if (recorded.record == nullptr) {
        return make_error(Errc::vault_damaged,
                          "the audit log of " + dir +
                              " records no escrow policy (no vault-init "
                              "record); refusing to write to the vault",
                          "run " + check_command(vault));
    }
    if (const auto forged = config_changes_of_policy(chain); !forged.empty()) {
        return make_error(Errc::vault_damaged,
                          "the audit log of " + dir +
                              " holds a settings change that changes the "
                              "escrow policy (" +
                              record_name(*forged.front()) +
                              "), which 'vault config set' never writes; refusing to write to "
                              "the vault",
                          "treat the vault as tampered with; run " + check_command(vault));
    }
    const std::string actual = vault.config().escrow.fingerprint();
    const AuditRecord& r = recorded.record->record;
    const bool interrupted_change =
        (r.type == AuditType::policy_change || r.type == AuditType::config_change) &&
        r.field("old-config") == vault.config_hash();
    if (interrupted_change && r.type == AuditType::config_change) {
        // The record holds every changed setting, so the change can be finished from it.
        return make_error(Errc::vault_damaged,
                          "a change of the settings of " + dir + " (" +
                              record_name(*recorded.record) +
                              ") was interrupted: the config is still the old one; refusing to "
                              "write to the vault",
                          "finish it with 'ssoescrow vault config set --vault " + dir +
                              "' (no settings), then run this again");
    }
    if (actual != recorded.policy) {
        if (interrupted_change) {
            return make_error(
                Errc::vault_damaged,
                "the config of " + dir + " holds escrow policy " + actual +
                    ", but the audit log records a change to " + recorded.policy + " (" +
                    record_name(*recorded.record) +
                    ") that was interrupted; refusing to write to the vault",
                "finish or undo the policy change first; run " + check_command(vault));
        }
        return make_error(
            Errc::vault_damaged,
            "the escrow policy in the config of " + dir + " is " + actual +
                ", but the audit log records " + recorded.policy + " (" +
                record_name(*recorded.record) +
                "): the config was replaced outside ssoescrow; refusing to write to the vault",
            "treat the vault as tampered with: nothing was sealed to the new custodians; put back "
            "the config recorded in the audit log (SHA-256 " +
                recorded.config + ") from a copy of the vault, and run " + check_command(vault));
    }
    if (vault.config_hash() != recorded.config) {
        return make_error(Errc::vault_damaged,
                          "the config of " + dir + " (SHA-256 " + vault.config_hash() +
                              ") is not the one the audit log records (" + recorded.config + ", " +
                              record_name(*recorded.record) +
                              "): it was changed outside ssoescrow; refusing to write to the vault",
                          "put back the recorded config from a copy of the vault, and run " +
                              check_command(vault));
    }
    return {};
}

Status check_not_rolled_back(const Vault& vault, const AuditChain& chain,
                             const std::filesystem::path& state_dir) {
    const std::string dir = platform::path_to_utf8(vault.dir());
    auto seen = read_seen_state(state_dir);
    if (!seen) {
        Error error = std::move(seen).error();
        error.message = "this host's rollback witness cannot be read: " + error.message;
        if (error.hint.empty()) {
            error.hint = "it is " + platform::path_to_utf8(state_dir / k_seen_file) +
                         "; repair or remove it (then the next write starts a new witness), "
                         "after " +
                         check_command(vault) + " from a host whose witness is intact";
        }
        return error;
    }
    if (!*seen)
        return {};  // the first write from this host: nothing to compare with yet
    const Findings findings = compare_with_seen(chain, **seen);
    if (findings.empty())
        return {};
    const Finding& finding = findings.front();
    std::string hint;
    if (finding.code == "seen-state-other-vault") {
        hint = "check --state-dir: " + platform::path_to_utf8(state_dir) +
               " holds the state of another vault";
    } else {
        hint =
            "nothing was written; put back the newest copy of the vault (an off-site or backup "
            "copy) and check it with " +
            check_command(vault) +
            "; if you restored an older copy on purpose, accept its history with 'ssoescrow "
            "vault accept-rollback --vault " +
            dir + " --reason TEXT' (audit-logged)";
    }
    return make_error(
        Errc::vault_damaged,
        "refusing to write to vault " + dir + " (" + finding.code + "): " + finding.message,
        std::move(hint));
}

namespace {

bool is_sealing_type(AuditType type) noexcept {
    return type == AuditType::backup || type == AuditType::rotate || type == AuditType::import ||
           type == AuditType::adopt;
}

void take_config_record(VerifiedHistory& history, const ChainRecord& r) {
    history.config_record = {r.record.seq, r.hash};
    history.config = std::string(recorded_config_hash(r.record));
    history.policy = std::string(r.record.field("policy"));
}

// A departure counts from the first custodian-departed record after the custodian was last
// present (custodian_roster): a second departure keeps the first one's time and reason.
void fold_departure(VerifiedHistory& history, const AuditRecord& rec) {
    const std::string fingerprint(rec.field("custodian"));
    auto it = std::lower_bound(
        history.departed.begin(), history.departed.end(), fingerprint,
        [](const CachedDeparture& d, const std::string& fpr) { return d.fingerprint < fpr; });
    const bool listed = it != history.departed.end() && it->fingerprint == fingerprint;
    if (rec.type == AuditType::custodian_reinstated) {
        if (listed)
            history.departed.erase(it);
    } else if (!listed) {
        history.departed.insert(it, {fingerprint, rec.time, std::string(rec.field("reason"))});
    }
}

}  // namespace

void read_pending_backups(VerifiedHistory& history) {
    if (!history.backups_pending)
        return;
    history.backups_pending = false;
    HeadCache described;
    described.head.seq = history.backups_head_seq;
    described.backups_file = history.backups_file;
    auto lines = read_cached_backups(history.backups_dir, described);
    if (!lines) {
        history.backups_known = false;
        history.backups.clear();
        return;
    }
    lines->insert(lines->end(), std::make_move_iterator(history.backups.begin()),
                  std::make_move_iterator(history.backups.end()));
    history.backups = std::move(*lines);
}

namespace {

// Folds one record after the verified head into the derived state. False when the record needs
// the full verification to judge (a settings change that names another policy), or changes the
// backups in a way only a full catalog can judge (another writer's backup, a rekey).
bool fold_record(VerifiedHistory& history, const ChainRecord& r) {
    const AuditRecord& rec = r.record;
    if (records_config(rec.type)) {
        if (rec.type == AuditType::config_change && rec.field("policy") != history.policy)
            return false;
        take_config_record(history, r);
    } else if (is_sealing_type(rec.type) || rec.type == AuditType::rekey) {
        history.backups_known = false;
    } else if (rec.type == AuditType::prune) {
        read_pending_backups(history);
        std::erase_if(history.backups,
                      [&](const CachedBackup& b) { return b.backup_id == rec.field("backup"); });
    } else if (rec.type == AuditType::custodian_departed ||
               rec.type == AuditType::custodian_reinstated) {
        fold_departure(history, rec);
    }
    return true;
}

Result<VerifiedHistory> verify_full_history(const Vault& vault,
                                            const std::filesystem::path& state_dir) {
    VerifiedHistory history;
    TRY_ASSIGN(history.chain, read_audit_chain(vault.dir(), vault.vault_id()));
    if (!history.chain.intact()) {
        std::string what;
        for (const Finding& f : history.chain.findings) {
            if (f.severity == Severity::damaged) {
                what = " (" + f.code + ": " + f.file + ")";
                break;
            }
        }
        return make_error(Errc::vault_damaged,
                          "the audit log of " + platform::path_to_utf8(vault.dir()) +
                              " is damaged" + what + "; refusing to write to the vault",
                          "run " + check_command(vault) + " to see what is wrong");
    }
    TRY(check_config_recorded(vault, history.chain));
    TRY(check_not_rolled_back(vault, history.chain, state_dir));
    take_config_record(history, *recorded_policy(history.chain).record);
    history.departed = departed_custodians_of(history.chain);
    return history;
}

}  // namespace

// The head cache's shortcut (FORMAT.md 4.3 "Head cache"): std::nullopt whenever the cache cannot
// vouch for the history, so the caller verifies it in full (and refuses with its messages).
std::optional<VerifiedHistory> verify_history_from_cache(const Vault& vault,
                                                         const std::filesystem::path& state_dir,
                                                         const HeadCache* read_cache,
                                                         HistoryListing listing) {
    std::optional<HeadCache> file;
    if (read_cache == nullptr) {
        auto read = read_head_cache_head(state_dir);
        if (!read || !*read)
            return std::nullopt;
        file = std::move(**read);
        read_cache = &*file;
    }
    const HeadCache& cached = *read_cache;
    if (cached.vault_id != vault.vault_id())
        return std::nullopt;
    // The witness decides, the cache only saves work: it must not be behind the latest-seen
    // state, nor disagree with it at the same seq.
    auto seen = read_seen_state(state_dir);
    if (!seen || !*seen)
        return std::nullopt;
    const SeenState& witness = **seen;
    if (witness.vault_id != vault.vault_id() || witness.seq < cached.head.seq ||
        (witness.seq == cached.head.seq && witness.record_hash != cached.head.hash)) {
        return std::nullopt;
    }
    // The records after the cached head, found from the audit head (no listing: its cost grows
    // with the vault's age); without a usable audit head, or when asked to, from the listing.
    std::optional<AuditChain> chain;
    if (listing == HistoryListing::from_audit_head)
        chain = read_audit_chain_from_head(vault.dir(), vault.vault_id(), cached.head);
    if (!chain) {
        auto listed = read_audit_chain_after(vault.dir(), vault.vault_id(), cached.head);
        if (!listed)
            return std::nullopt;
        chain = std::move(*listed);
    }
    if (!chain->intact() || chain->records.empty() || !compare_with_seen(*chain, witness).empty())
        return std::nullopt;
    VerifiedHistory history;
    history.chain = std::move(*chain);
    history.config_record = cached.config_record;
    history.config = cached.config;
    history.policy = cached.policy;
    history.backups_known = true;
    if (cached.backups_read) {
        history.backups = cached.backups;
    } else {
        history.backups_pending = true;
        history.backups_file = cached.backups_file;
        history.backups_head_seq = cached.head.seq;
        history.backups_dir = state_dir;
    }
    history.departed = cached.departed;
    for (std::size_t i = 1; i < history.chain.records.size(); ++i) {
        if (!fold_record(history, history.chain.records[i]))
            return std::nullopt;
    }
    if (vault.config_hash() != history.config ||
        vault.config().escrow.fingerprint() != history.policy) {
        return std::nullopt;
    }
    return history;
}

Result<VerifiedHistory> verify_history_for_writing(const Vault& vault,
                                                   const std::filesystem::path& state_dir,
                                                   const HeadCache* read_cache,
                                                   HistoryListing listing) {
    std::optional<VerifiedHistory> verified =
        verify_history_from_cache(vault, state_dir, read_cache, listing);
    if (!verified) {
        TRY_ASSIGN(VerifiedHistory full, verify_full_history(vault, state_dir));
        verified = std::move(full);
    }
    return std::move(*verified);
}

Result<ChainRecord> append_to_history(const Vault& vault, VerifiedHistory& history,
                                      AuditRecord record, const crypto::SigningKey* signer) {
    TRY_ASSIGN(ChainRecord appended,
               append_audit_record(vault.dir(), history.chain, std::move(record), signer));
    // A writer's own sealing records are followed by add_verified_backup: it verified the
    // envelope itself.
    if (!is_sealing_type(appended.record.type))
        (void)fold_record(history, history.chain.records.back());
    return appended;
}

void add_verified_backup(VerifiedHistory& history, const ChainRecord& r) {
    const AuditRecord& rec = r.record;
    CachedBackup backup;
    backup.backup_id = std::string(rec.field("backup"));
    backup.seq = rec.seq;
    backup.envelope = std::string(rec.field("envelope"));
    if (auto created = parse_time(rec.field("created"), "created"))
        backup.created = *created;
    backup.current_msid = std::string(rec.field("current-msid"));
    history.backups.push_back(std::move(backup));
}

const CachedBackup* VerifiedHistory::find_backup(std::string_view backup_id) {
    read_pending_backups(*this);
    for (const CachedBackup& b : backups) {
        if (b.backup_id == backup_id)
            return &b;
    }
    return nullptr;
}

const CachedDeparture* VerifiedHistory::find_departed(std::string_view fingerprint) const noexcept {
    for (const CachedDeparture& d : departed) {
        if (d.fingerprint == fingerprint)
            return &d;
    }
    return nullptr;
}

std::vector<CachedDeparture> departed_custodians_of(const AuditChain& chain) {
    std::vector<CachedDeparture> out;
    for (const auto& [fingerprint, history] : custodian_roster(chain.records).custodians) {
        if (history.departed)
            out.push_back({fingerprint, history.departed->time, history.departed->reason});
    }
    return out;
}

std::vector<CachedBackup> verified_backups_of(const Catalog& catalog) {
    std::vector<CachedBackup> out;
    for (const CatalogEntry& e : catalog.entries) {
        if (e.state == BackupState::verified)
            out.push_back({e.backup_id, e.audit_seq, e.envelope_hash, e.created, e.current_msid});
    }
    std::sort(out.begin(), out.end(),
              [](const CachedBackup& a, const CachedBackup& b) { return a.seq < b.seq; });
    return out;
}

HeadCache head_cache_of(const Vault& vault, const AuditChain& chain,
                        std::vector<CachedBackup> backups) {
    HeadCache cache;
    cache.vault_id = vault.vault_id();
    cache.head = {chain.head_seq(), chain.head_hash()};
    const RecordedPolicy recorded = recorded_policy(chain);
    if (recorded.record != nullptr)
        cache.config_record = {recorded.record->record.seq, recorded.record->hash};
    cache.config = recorded.config;
    cache.policy = recorded.policy;
    cache.departed = departed_custodians_of(chain);
    cache.backups = std::move(backups);
    return cache;
}

Status remember_history(const Vault& vault, const std::filesystem::path& state_dir,
                        VerifiedHistory& history, UnixTime now) {
    TRY(remember_seen(state_dir, history.chain, vault.vault_id(), now));
    HeadCache cache;
    cache.vault_id = vault.vault_id();
    cache.head = {history.chain.head_seq(), history.chain.head_hash()};
    cache.config_record = history.config_record;
    cache.config = history.config;
    cache.policy = history.policy;
    cache.departed = history.departed;
    if (history.backups_known && history.backups_pending && history.backups_dir == state_dir) {
        // Only backups added: their lines are appended, the others never read.
        Status appended =
            append_to_head_cache(state_dir, history.backups_file, cache, history.backups);
        if (appended || appended.error().code != Errc::precondition)
            return appended;
    }
    read_pending_backups(history);
    if (!history.backups_known) {
        if (!history.chain.complete) {
            TRY_ASSIGN(AuditChain full, read_audit_chain(vault.dir(), vault.vault_id()));
            if (!full.intact() || full.head_hash() != history.chain.head_hash())
                return {};  // changed under us: no cache rather than a wrong one
            history.chain = std::move(full);
        }
        TRY_ASSIGN(const Catalog catalog, build_catalog(vault, history.chain));
        history.backups = verified_backups_of(catalog);
        history.backups_known = true;
    }
    cache.backups = history.backups;
    std::sort(cache.backups.begin(), cache.backups.end(),
              [](const CachedBackup& a, const CachedBackup& b) { return a.seq < b.seq; });
    return write_head_cache(state_dir, std::move(cache));
}

Status audit_lock_takeover(const Vault& vault, VerifiedHistory& history, const BrokenLock& broken,
                           std::string_view taker, UnixTime now) {
    AuditRecord record;
    record.type = AuditType::lock_override;
    record.time = now;
    record.actor = current_actor();
    const LockInfo& info = broken.previous.info;
    record.fields.push_back({"holder-host", info.host.empty() ? "unknown" : info.host});
    record.fields.push_back({"holder-pid", std::to_string(info.pid)});
    record.fields.push_back({"holder-started", format_time(info.started)});
    const std::string by = " taken over by " + std::string(taker);
    const std::string reason = broken.malformed ? "malformed lock file removed"
                               : broken.forced  ? "live lock removed by force"
                               : broken.previous.state == LockState::stale_dead
                                   ? "stale lock of a dead process" + by
                                   : "expired lock" + by;
    record.fields.push_back({"reason", reason});
    TRY(append_to_history(vault, history, std::move(record)));
    return {};
}

Status audit_lock_takeover(const Vault& vault, const BrokenLock& broken, std::string_view taker,
                           UnixTime now) {
    VerifiedHistory history;
    TRY_ASSIGN(history.chain, read_audit_chain(vault.dir(), vault.vault_id()));
    return audit_lock_takeover(vault, history, broken, taker, now);
}

Result<WriteAccess> acquire_writer_lock(const Vault& vault, const LockOptions& options,
                                        const WriterContext& context) {
    TRY_ASSIGN(std::filesystem::path state_dir,
               state_dir_for(context.state_root, vault.vault_id()));
    TRY_ASSIGN(WriterLock lock, WriterLock::acquire(vault.dir(), options));
    TRY(settle_pending_rekey(vault.dir(), vault.vault_id()));
    // Under the lock, so nothing changes between the check and our writes (short of someone
    // writing the vault without the lock, which the chain's own checks catch at the next read).
    // A broken lock is the trace of a writer that was killed or lost its host: whatever it left
    // half-written (temp files, an audit head ahead of its record) is found by listing.
    const bool taken_over = lock.taken_over().has_value();
    TRY_ASSIGN(VerifiedHistory history,
               verify_history_for_writing(
                   vault, state_dir, context.head_cache,
                   taken_over ? HistoryListing::list_audit : HistoryListing::from_audit_head));
    if (taken_over || !history.from_cache())
        TRY(remove_stale_temp_files_of(vault, history.chain));
    correct_audit_head(vault, history.chain);
    if (taken_over) {
        Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
        TRY(audit_lock_takeover(vault, history, *lock.taken_over(), options.operation,
                                clock.now()));
    }
    return WriteAccess{std::move(lock), std::move(history), std::move(state_dir)};
}

// Also after a listing that found the audit head missing or ahead: the next writers then need no
// listing even when this one appends nothing.
void correct_audit_head(const Vault& vault, const AuditChain& chain) {
    if (chain.records.empty())
        return;
    const AuditHeadFile verified{vault.vault_id(), {chain.head_seq(), chain.head_hash()}};
    auto on_disk = read_audit_head(vault.dir());
    if (on_disk && *on_disk && **on_disk == verified)
        return;
    (void)write_audit_head(vault.dir(), verified);
}

Status remove_stale_temp_files_of(const Vault& vault, const AuditChain& listed) {
    TRY(platform::remove_stale_temp_files(vault.dir()));
    TRY(platform::remove_stale_temp_files(vault.envelopes_dir()));
    return remove_listed_temp_files(vault, listed);
}

Status remove_listed_temp_files(const Vault& vault, const AuditChain& chain) {
    const bool any = std::any_of(chain.findings.begin(), chain.findings.end(),
                                 [](const Finding& f) { return f.code == "temp-file"; });
    if (!any)
        return {};
    return platform::remove_stale_temp_files(vault.audit_dir());
}

Result<LockedVault> open_and_lock_for_writing(const std::filesystem::path& vault_dir,
                                              const LockOptions& options,
                                              const WriterContext& context) {
    TRY_ASSIGN(const Vault before, Vault::open(vault_dir));
    TRY_ASSIGN(std::filesystem::path state_dir,
               state_dir_for(context.state_root, before.vault_id()));
    TRY_ASSIGN(WriterLock lock, WriterLock::acquire(vault_dir, options));
    TRY(settle_pending_rekey(vault_dir, before.vault_id()));
    TRY_ASSIGN(Vault opened, Vault::open(vault_dir));
    TRY_ASSIGN(VerifiedHistory history, verify_history_for_writing(opened, state_dir));
    if (lock.taken_over()) {
        Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
        TRY(audit_lock_takeover(opened, history, *lock.taken_over(), options.operation,
                                clock.now()));
    }
    return LockedVault{std::move(opened),
                       WriteAccess{std::move(lock), std::move(history), std::move(state_dir)}};
}

Status check_vault_writable(const Vault& vault) {
    TRY(platform::probe_directory_writable(vault.envelopes_dir(), k_writable_probe_size));
    TRY(platform::probe_directory_writable(vault.audit_dir(), k_writable_probe_size));
    return {};
}

}  // namespace ssoescrow::vault
