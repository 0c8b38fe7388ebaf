// The verified head cache: what a writer on this host last verified about a vault's history, kept
// in its state directory next to the latest-seen state (FORMAT.md 4.3 "Head cache"), so that the
// next writer verifies only the records after it instead of the whole audit log.
//
// Two files in the state directory, replaced with the temp-file + rename(2) of every state file
// (no fsync: a lost or torn cache only costs one full verification), 0600, canonical form only.
// <state dir>/verified-head, small, rewritten by every writer:
//   ssoescrow-verified-head/3
//   vault: <vault id, 32 hex>
//   seq: <head seq>
//   record: <SHA-256 of the head record, 64 hex>
//   config-record: <seq> <SHA-256 of that record>   the newest vault-init/policy-change/
//                                                    config-change record
//   config: <64 hex>                                 the config SHA-256 it records
//   policy: sha256:<64 hex>                          the escrow policy it records
//   departed: <fingerprint> <time> <reason>          zero or more, ascending fingerprint: every
//                                                    custodian departed at the head, with the
//                                                    time and reason of the departure
//   backups: <count> <bytes> <digest, 64 hex>        the first <bytes> bytes of verified-backups
//                                                    hold this head's <count> backup lines
//   end: <count>                                     a file without it is torn
// <state dir>/verified-backups, appended to by a writer that only adds backups (a backup, an
// import: it never reads it), rewritten by one that removes some (a prune):
//   ssoescrow-verified-backups/1
//   backup: <id> <seq> <envelope SHA-256> <created> <current MSID>
//                                                    zero or more, ascending seq: every verified
//                                                    backup (trusted sealing record, envelope
//                                                    verified, not pruned) at the head
// digest: d0 = SHA-256(first line with its LF), d(i) = SHA-256(d(i-1) || line i with its LF);
// bytes past <bytes> (an append whose head was never written) are not part of the cache.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"
#include "vault/audit_log.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::vault {

inline constexpr std::string_view k_head_cache_file = "verified-head";
inline constexpr std::string_view k_cached_backups_file = "verified-backups";
// Departed custodians only: a policy has at most 255 of them, at about 400 bytes a line.
inline constexpr std::size_t k_max_head_cache_size = 256 * 1024;
// 100000 envelopes (k_max_envelopes) at about 200 bytes a line, with room to spare.
inline constexpr std::size_t k_max_cached_backups_size = 32 * 1024 * 1024;

// A verified backup as a writer needs it (prune plans with the creation time and the MSID).
struct CachedBackup {
    std::string backup_id;  // 32 hex
    std::uint64_t seq = 0;  // its sealing record
    std::string envelope;   // SHA-256 of its file, 64 hex
    UnixTime created = 0;
    std::string current_msid;
    friend bool operator==(const CachedBackup&, const CachedBackup&) = default;
};

// A custodian departed at the head (vault/custodians.hpp): what a restore tells the operator about
// an approval of theirs without reading the records below the head.
struct CachedDeparture {
    std::string fingerprint;  // recipient fingerprint
    UnixTime time = 0;        // of the departure record
    std::string reason;
    friend bool operator==(const CachedDeparture&, const CachedDeparture&) = default;
};

// What verified-backups holds for a head: the `backups:` line.
struct CachedBackupsFile {
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
    std::string digest;  // 64 hex
    friend bool operator==(const CachedBackupsFile&, const CachedBackupsFile&) = default;
};

struct HeadCache {
    std::string vault_id;
    AuditHead head;
    AuditHead config_record;
    std::string config;                     // 64 hex
    std::string policy;                     // sha256:<64 hex>
    std::vector<CachedDeparture> departed;  // ascending fingerprint
    CachedBackupsFile backups_file;
    // The lines of verified-backups, ascending seq, when `backups_read` (read_head_cache reads
    // them, read_head_cache_head does not; write_head_cache writes them).
    std::vector<CachedBackup> backups;
    bool backups_read = true;
};

// verified-head alone (backups_file as given).
std::string serialise_head_cache(const HeadCache& cache);
// Errc::parse / unsupported_version / limit_exceeded naming `source`; backups not read.
Result<HeadCache> parse_head_cache(std::string_view text, std::string_view source);
// verified-backups of `backups`, and the `backups:` line that describes it.
std::string serialise_cached_backups(const std::vector<CachedBackup>& backups);
CachedBackupsFile describe_cached_backups(std::string_view text);
// The backup lines of `text` (verified-backups) as `file` describes them: its first file.bytes
// bytes, count and digest as given, every line canonical, ascending seq, none past `head_seq`.
Result<std::vector<CachedBackup>> parse_cached_backups(std::string_view text,
                                                       const CachedBackupsFile& file,
                                                       std::uint64_t head_seq,
                                                       std::string_view source);

// std::nullopt when there is no cache for the vault on this host. With its backups (an error
// when verified-backups does not hold what verified-head describes).
Result<std::optional<HeadCache>> read_head_cache(const std::filesystem::path& state_dir);
// verified-head alone (backups_read false): what a writer that only adds backups needs.
Result<std::optional<HeadCache>> read_head_cache_head(const std::filesystem::path& state_dir);
// The backups verified-backups holds for `cache` (read_head_cache_head's).
Result<std::vector<CachedBackup>> read_cached_backups(const std::filesystem::path& state_dir,
                                                      const HeadCache& cache);
// Creates the state directory when needed and replaces both files: verified-backups from
// `cache.backups`, then verified-head describing it (not fsynced: a cache).
[[nodiscard]] Status write_head_cache(const std::filesystem::path& state_dir, HeadCache cache);
// The cache of a writer that only added backups (`added`, ascending seq, all after the head
// `cache` was read at) to the cache it read with read_head_cache_head, now at `cache`'s head:
// appends their lines to verified-backups, then replaces verified-head. Errc::precondition
// (nothing written) when verified-backups is not exactly what `previous` describes: the caller
// then writes the whole cache.
[[nodiscard]] Status append_to_head_cache(const std::filesystem::path& state_dir,
                                          const CachedBackupsFile& previous, HeadCache cache,
                                          const std::vector<CachedBackup>& added);

}  // namespace ssoescrow::vault
