// Which backup a command means: its full id or, as git names commits, a unique prefix of its id.
#pragma once

#include <cstddef>
#include <string>

#include "crypto/result.hpp"
#include "vault/catalog.hpp"

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

}  // namespace ssoescrow::restore
