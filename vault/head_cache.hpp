// The verified head cache: what a writer on this host last verified about a vault's history, kept
// in its state directory next to the latest-seen state (FORMAT.md 4.3 "Head cache"), so that the
// next writer verifies only the records after it instead of the whole audit log.
//
// <state dir>/verified-head, replaced with the temp-file + rename(2) of every state file (no
// fsync: a lost or torn cache only costs one full verification), 0600, canonical form only:
//   ssoescrow-verified-head/2
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
//   backup: <id> <seq> <envelope SHA-256> <created> <current MSID>
//                                                    zero or more, ascending seq: every verified
//                                                    backup (trusted sealing record, envelope
//                                                    verified, not pruned) at the head
//   end: <number of backup lines>                    a file without it is torn
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
// 100000 envelopes (k_max_envelopes) at about 200 bytes a line, with room to spare.
inline constexpr std::size_t k_max_head_cache_size = 32 * 1024 * 1024;

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

struct HeadCache {
    std::string vault_id;
    AuditHead head;
    AuditHead config_record;
    std::string config;                     // 64 hex
    std::string policy;                     // sha256:<64 hex>
    std::vector<CachedDeparture> departed;  // ascending fingerprint
    std::vector<CachedBackup> backups;      // ascending seq
};

std::string serialise_head_cache(const HeadCache& cache);
// Errc::parse / unsupported_version / limit_exceeded naming `source`.
Result<HeadCache> parse_head_cache(std::string_view text, std::string_view source);
// std::nullopt when there is no cache for the vault on this host.
Result<std::optional<HeadCache>> read_head_cache(const std::filesystem::path& state_dir);
// Creates the state directory when needed and replaces the cache (not fsynced: a cache).
[[nodiscard]] Status write_head_cache(const std::filesystem::path& state_dir,
                                      const HeadCache& cache);

}  // namespace ssoescrow::vault
