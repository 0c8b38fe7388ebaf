// What every vault writer (backup, rotate, import, prune, restore receipts, custodian
// departures, unlock, accept-rollback) does before it changes anything.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"
#include "vault/audit_log.hpp"
#include "vault/catalog.hpp"
#include "vault/clock.hpp"
#include "vault/head_cache.hpp"
#include "vault/lock.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::vault {

// The config's policy as the audit log records it: the newest vault-init, policy-change or
// config-change record and what it says. A writer seals and writes only when the config is that
// one.
struct RecordedPolicy {
    const ChainRecord* record = nullptr;  // newest vault-init / *-change; nullptr: none
    std::string policy;                   // its policy fingerprint
    std::string config;                   // the SHA-256 of the config it records
};
RecordedPolicy recorded_policy(const AuditChain& chain);

// Whether records of `type` say which config the vault holds (vault-init, policy-change,
// config-change), and the config SHA-256 such a record records (`config` or `new-config`).
bool records_config(AuditType type) noexcept;
std::string_view recorded_config_hash(const AuditRecord& record);

// The config-change records that name another escrow policy than the record before them that
// says which config the vault holds: a settings change never changes the policy, so such a
// record was not written by `vault config set` (vault check: config-change-policy, damage).
std::vector<const ChainRecord*> config_changes_of_policy(const AuditChain& chain);

// Errc::vault_damaged unless the vault's config is the one the audit log records: first its
// escrow policy fingerprint (the message names both fingerprints: a config rewritten to
// other custodians or another threshold), then the SHA-256 of the whole file (a config changed
// in any other way). `vault check` reports both as config-not-recorded.
[[nodiscard]] Status check_config_recorded(const Vault& vault, const AuditChain& chain);

// Errc::vault_damaged when `chain` does not hold this host's latest-seen record (the state in
// `state_dir`, the vault's directory under the state root): rolled back, rewritten, or the
// state of another vault. The message says what was seen when, the hint what to do. No state
// yet (first write on this host) is fine. An unreadable state is its own error (io, parse):
// a writer does not guess.
[[nodiscard]] Status check_not_rolled_back(const Vault& vault, const AuditChain& chain,
                                           const std::filesystem::path& state_dir);

// What a writer verified about the vault's history under its lock (FORMAT.md 4.3 "Writers and
// the witness", 4.6), read once per command and passed to everything it writes: the chain to
// append to, and what the records up to its head say. Appends go through append_to_history, so
// the derived state stays the chain's.
struct VerifiedHistory {
    // Complete after a full verification; after a valid head cache (FORMAT.md 4.3 "Head cache")
    // it starts at the cached head and holds only the records after it.
    AuditChain chain;
    AuditHead config_record;  // the newest vault-init / policy-change / config-change record
    std::string config;       // the config SHA-256 it records
    std::string policy;       // the escrow policy it records
    // The verified backups at the head (trusted sealing record, envelope verified, not pruned),
    // ascending seq; meaningful only when `backups_known` (from the cache, or derived from a
    // full catalog). A record after the cached head that changes them clears it.
    std::vector<CachedBackup> backups;
    bool backups_known = false;
    // The verified backups are this host's verified-backups file as `backups_file` describes it
    // (for the cached head at `backups_head_seq`, in `backups_dir`), not read yet: a writer that
    // only adds backups never reads it. `backups` then holds only the ones added since;
    // read_pending_backups reads the file when a writer needs them all.
    bool backups_pending = false;
    CachedBackupsFile backups_file;
    std::uint64_t backups_head_seq = 0;
    std::filesystem::path backups_dir;
    // The custodians departed at the head, ascending fingerprint (from the cache, or derived
    // from the complete chain); the records after the head are folded in.
    std::vector<CachedDeparture> departed;
    bool from_cache() const noexcept { return !chain.complete; }
    // Reads pending backups first (read_pending_backups).
    const CachedBackup* find_backup(std::string_view backup_id);
    const CachedDeparture* find_departed(std::string_view fingerprint) const noexcept;
};

// Everything a writer proves about the vault's history before its first write (FORMAT.md 4.6):
// the audit chain is intact, the config is the audit-logged one (check_config_recorded) and the
// chain holds what this host saw last (check_not_rolled_back). With this host's head cache
// (`state_dir`/verified-head) it verifies only the records after the cached head, and reads the
// whole chain when the cache cannot vouch for the history (missing, another vault's, behind the
// latest-seen state, its head record gone or renamed, a fork or gap below it, a record after it
// that it cannot fold in); the refusals and their messages are those of the full verification.
// `read_cache`: this host's head cache as the command already read it from `state_dir` (a
// restore reads it before the lock, to find its backup), so it is not read and parsed twice; it
// vouches for the history only as far as these checks allow, like the file.
// `listing`: how the records after the cached head are found: from the vault's audit head
// (FORMAT.md 4.3 "Audit head"), falling back to listing audit/ when it cannot lead there, or by
// listing audit/ (after a broken lock: a killed writer's leftovers are seen only in the listing).
enum class HistoryListing { from_audit_head, list_audit };
Result<VerifiedHistory> verify_history_for_writing(
    const Vault& vault, const std::filesystem::path& state_dir,
    const HeadCache* read_cache = nullptr,
    HistoryListing listing = HistoryListing::from_audit_head);

// The head cache's part of verify_history_for_writing alone: the history from this host's head
// cache and the records after its head, or std::nullopt whenever the cache cannot vouch for it
// (then only the full verification decides, with its refusals and messages). Reads only, so a
// command may use it before it takes the writer lock, to find what it is about to act on; what
// it then writes it still verifies under the lock.
std::optional<VerifiedHistory> verify_history_from_cache(
    const Vault& vault, const std::filesystem::path& state_dir,
    const HeadCache* read_cache = nullptr,
    HistoryListing listing = HistoryListing::from_audit_head);

// Reads the pending verified-backups file (see VerifiedHistory::backups_pending) into `backups`,
// before the ones added since; when it does not hold what the cache described, the backups are
// unknown (backups_known false: a prune then builds the full catalog).
void read_pending_backups(VerifiedHistory& history);

// Appends `record` to the history's chain (append_audit_record) and keeps the derived state.
Result<ChainRecord> append_to_history(const Vault& vault, VerifiedHistory& history,
                                      AuditRecord record,
                                      const crypto::SigningKey* signer = nullptr);
// Records a backup whose envelope the writer verified (it sealed it, or adopted a verified
// orphan), announced by `record` (already appended).
void add_verified_backup(VerifiedHistory& history, const ChainRecord& record);

// After a writer's last write: moves this host's latest-seen state forward to the history's head
// (remember_seen: forward only, never over a rolled-back or rewritten chain) and replaces the
// head cache. The backups of a history that does not know them are derived from a full catalog
// first (once; the next writer reads them from the cache).
[[nodiscard]] Status remember_history(const Vault& vault, const std::filesystem::path& state_dir,
                                      VerifiedHistory& history, UnixTime now);

// The verified backups of a catalog, as the head cache keeps them.
std::vector<CachedBackup> verified_backups_of(const Catalog& catalog);
// The custodians departed at the head of a complete chain, as the head cache keeps them.
std::vector<CachedDeparture> departed_custodians_of(const AuditChain& chain);
// The head cache of a complete, intact chain whose config is the recorded one, with `backups`.
HeadCache head_cache_of(const Vault& vault, const AuditChain& chain,
                        std::vector<CachedBackup> backups);

// Where a writer finds this host's state for the vault: `state_root` is --state-dir (empty: the
// default state root, host_state.hpp).
struct WriterContext {
    std::filesystem::path state_root;
    // The head cache of the vault's state directory as the command already read it (see
    // verify_history_for_writing); nullptr: read from the file.
    const HeadCache* head_cache = nullptr;
};

// A writer's hold on the vault: its lock, the history it verified under it, and this host's
// state directory for the vault (where remember_history writes).
struct WriteAccess {
    WriterLock lock;
    VerifiedHistory history;
    std::filesystem::path state_dir;
};

// Takes the writer lock with `options` (operation, wait, clock), settles a pending rekey
// (settle_pending_rekey: an uncommitted one is rolled back, a committed unfinished one refused),
// then verifies the vault's
// history for writing (verify_history_for_writing, with the state directory of `context`; by
// listing audit/ after a broken lock), removes stale temp files when it listed, and leaves the
// audit head naming the verified head (best effort);
// only then, if a stale lock was broken on the way, a lock_override record naming its holder is
// appended to the audit log (FORMAT.md 4.5). A refusal releases the lock and writes nothing.
// The caller may report lock.taken_over() to the user.
[[nodiscard]] Result<WriteAccess> acquire_writer_lock(const Vault& vault,
                                                      const LockOptions& options,
                                                      const WriterContext& context);

// The lock_override audit record for a lock broken by `taker` (an operation name), appended to
// `history`; the overload without one reads the chain itself (writers that took the lock
// without verifying the history for writing: unlock --force, accept-rollback).
[[nodiscard]] Status audit_lock_takeover(const Vault& vault, VerifiedHistory& history,
                                         const BrokenLock& broken, std::string_view taker,
                                         UnixTime now);

// acquire_writer_lock for a writer that may wait for the lock: the vault is opened again once the
// lock is held, so that a config replaced meanwhile (a rekey, a settings change) is the one the
// writer checks and seals to.
struct LockedVault {
    Vault vault;
    WriteAccess access;
};
[[nodiscard]] Result<LockedVault> open_and_lock_for_writing(const std::filesystem::path& vault_dir,
                                                            const LockOptions& options,
                                                            const WriterContext& context);

[[nodiscard]] Status audit_lock_takeover(const Vault& vault, const BrokenLock& broken,
                                         std::string_view taker, UnixTime now);

// Under the writer lock: makes the vault's audit head (FORMAT.md 4.3 "Audit head") name the head of
// `chain`, which the writer just verified, unless it already does. Best effort: an audit head
// that is missing or names a record that was never written only costs the next writer a listing,
// and every append writes it anyway.
void correct_audit_head(const Vault& vault, const AuditChain& chain);

// Removes the temp files of interrupted writes in VAULT/, envelopes/ and audit/ (the writer holds
// the lock, so none is another writer's); those in audit/ as the listing that read `listed`
// found them (remove_listed_temp_files), so audit/ is not listed twice. Done by a writer that
// lists anyway (it verified the history in full) or that broke a stale lock: temp files are only
// ever left by a writer that was killed, and a killed writer leaves its lock behind.
[[nodiscard]] Status remove_stale_temp_files_of(const Vault& vault, const AuditChain& listed);

// Removes the temp files of interrupted writes that the chain's reading listed in audit/ (the
// writer holds the lock, so they are not another writer's), without listing audit/ again.
[[nodiscard]] Status remove_listed_temp_files(const Vault& vault, const AuditChain& chain);

// Proves, before anything irreversible happens (rotate generates a new master secret), that the
// vault can take a commit: in envelopes/ and audit/ a temp file (.tmp-*, ignored by readers) of
// k_writable_probe_size bytes is created, written, fsynced and removed. Errc::read_only,
// no_space or io naming the directory.
inline constexpr std::size_t k_writable_probe_size = 256 * 1024;
[[nodiscard]] Status check_vault_writable(const Vault& vault);

}  // namespace ssoescrow::vault
