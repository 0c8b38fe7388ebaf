// The vault config: format version, vault id, freshness and retention policy, and the escrow
// policy (vault/policy.hpp) embedded verbatim. Byte-level format: vault/FORMAT.md section 4.2.
//
//   ssoescrow-vault/1
//   vault-id: <32 lower hex>              random 128-bit id, never changes
//   created: <YYYY-MM-DDTHH:MM:SSZ>
//   max-backup-age: <duration>            newest backup older than this: warning
//   critical-backup-age: <duration>       ... older than this: critical
//   max-drill-age: <duration>             no restore drill younger than this: warning
//   min-retained: <integer>               prune never leaves fewer backups than this
//   min-retention: <duration>             prune never removes a backup younger than this
//   keep-last: <integer>                  prune keeps the newest N backups
//   keep-within: <duration>               prune keeps every backup younger than D
//   max-key-age: <duration>               optional (absent: the default, 730d): a custodian key in
//                                         the policy longer than this is a warning
//   ssoescrow-policy/1                    the escrow policy block (policy.hpp), verbatim
//   ...
//   checksum: <64 lower hex>              SHA-256 of every byte before this line
//
// Durations are canonical (text_format.hpp): "26h", "3d", "90d". The checksum catches torn and
// bit-flipped files; it is not a signature (someone who can write the vault can recompute it):
// substitution is caught by the pinned policy fingerprint and by the config hash recorded in the
// audit log (vault-init and policy-change records).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "vault/policy.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::vault {

inline constexpr std::string_view k_config_magic_prefix = "ssoescrow-vault/";
inline constexpr unsigned k_config_version = 1;
inline constexpr std::size_t k_vault_id_size = 16;
// 255 recipient lines of at most ~250 bytes plus the fixed lines.
inline constexpr std::size_t k_max_config_size = 128 * 1024;

using VaultId = std::array<std::uint8_t, k_vault_id_size>;

inline constexpr std::int64_t k_hour = 3600;
inline constexpr std::int64_t k_day = 86400;

// NIST SP 800-57 Part 1 (rev. 5), section 5.3.6: the cryptoperiod of a private static
// key-agreement key (a custodian's X25519 identity) is one to two years.
inline constexpr std::int64_t k_default_max_key_age = 730 * k_day;

// Defaults after AWS Backup Audit Manager's "backup plan minimum frequency and minimum retention"
// control: daily backups, retained at least 35 days. max-backup-age allows a daily job two hours
// of slack.
struct FreshnessPolicy {
    std::int64_t max_backup_age = 26 * k_hour;
    std::int64_t critical_backup_age = 3 * k_day;
    std::int64_t max_drill_age = 90 * k_day;
    std::uint64_t min_retained = 7;
    std::int64_t min_retention = 35 * k_day;
    // Written by every `vault init` since it exists; vaults created before have no line and get
    // k_default_max_key_age. Kept optional so such a config still serialises to its own bytes.
    std::optional<std::int64_t> max_key_age;

    std::int64_t effective_max_key_age() const noexcept {
        return max_key_age.value_or(k_default_max_key_age);
    }

    friend bool operator==(const FreshnessPolicy&, const FreshnessPolicy&) = default;
};

struct RetentionPolicy {
    std::uint64_t keep_last = 35;
    std::int64_t keep_within = 35 * k_day;

    friend bool operator==(const RetentionPolicy&, const RetentionPolicy&) = default;
};

struct VaultConfig {
    VaultId vault_id{};
    UnixTime created = 0;
    FreshnessPolicy freshness;
    RetentionPolicy retention;
    EscrowPolicy escrow;

    // The rules: every age > 0; critical-backup-age >= max-backup-age; min-retained >= 1;
    // keep-last >= 1; durations at most 100 years; the escrow policy validates.
    // Errc::invalid_argument naming the field.
    [[nodiscard]] Status validate() const;

    // The canonical file (validate() must pass; std::logic_error otherwise: a bug).
    std::string serialise() const;
    std::string vault_id_hex() const;
};

// Parses a config file. Errors (all naming `source`):
//   Errc::vault_damaged       empty, zero-filled or truncated file, checksum mismatch: the file
//                             is damaged, never read as an empty vault
//   Errc::unsupported_version "ssoescrow-vault/N" with N != 1
//   Errc::parse               anything not in the one canonical form
//   Errc::limit_exceeded      over k_max_config_size
//   Errc::invalid_argument    well-formed but breaking a rule of validate()
Result<VaultConfig> parse_config(std::string_view text, std::string_view source);

}  // namespace ssoescrow::vault
