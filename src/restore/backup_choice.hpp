// Which backup a command means: its full id or, as git names commits, a unique prefix of its id;
// and the backup a restore opens, verified from this host's head cache.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "vault/catalog.hpp"
#include "vault/envelope.hpp"
#include "vault/head_cache.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::restore {

// The shortest id prefix accepted: 16 bits, unique enough among the backups of one vault.
inline constexpr std::size_t k_min_backup_prefix = 4;

// The catalog entry of backup `wanted` (32 hex digits, or a prefix of 4 to 31; upper case
// accepted). Errors: Errc::not_found naming the vault `vault_dir` (no such backup, no id with that
// prefix); Errc::usage for an ambiguous prefix, listing every candidate (id, creation time,
// state) and asking for more digits; parse errors of a malformed id as parse_backup_id words
// them. Any state is returned: the caller decides whether it is usable.
Result<const vault::CatalogEntry*> find_backup(const vault::Catalog& catalog,
                                               const std::string& wanted,
                                               const std::string& vault_dir);

// The backup of `header` verified from `cache`, the head cache read from `state_dir` (FORMAT.md 4.3
// "Head cache", 4.9), without reading the records below the cached head or any other envelope: it
// is a verified backup at the cached head not pruned since, and `envelope`, the bytes about to be
// opened, is the file its signed record names (the SHA-256 the cache keeps from it), sealed for
// this vault to the config's policy, signed by a signer the config lists. std::nullopt whenever
// the cache cannot vouch for the history or any of this does not hold (an envelope of an earlier
// policy, whose signers only the chain records, included): the full catalog then decides, with
// its messages. Reads only: usable before the writer lock.
struct CachedChoice {
    vault::CatalogEntry entry;                     // state verified; from the header and the cache
    std::vector<vault::CachedDeparture> departed;  // the custodians departed at the head
};
std::optional<CachedChoice> verified_backup_from_cache(const vault::Vault& vault,
                                                       const std::filesystem::path& state_dir,
                                                       const vault::HeadCache& cache,
                                                       const vault::EnvelopeHeader& header,
                                                       ByteView envelope);

}  // namespace ssoescrow::restore
