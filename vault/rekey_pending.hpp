// The pending state of a rekey ceremony (FORMAT.md 4.10): VAULT/rekey/ holds the new envelopes,
// the new config and, written last, the manifest. The ceremony is committed by a policy-change
// record whose `rekey` field names the manifest's request and whose new-config is the manifest's;
// before that record, VAULT/rekey/ exists for nobody but the next writer, which removes it (a
// rollback that leaves exactly the old state). After it, the rekey must be finished (`rekey
// finish`), never undone, and every other writer refuses the vault.
//
//   ssoescrow-rekey-manifest/1
//   request: <32 hex>                  the rekey request id
//   vault: <32 hex>
//   old-config: <64 hex>               SHA-256 of the config before
//   new-config: <64 hex>               SHA-256 of rekey/config
//   old-policy: sha256:<64 hex>
//   new-policy: sha256:<64 hex>
//   backups: <B>
//   backup: <old id> <old envelope SHA-256> <new id> <new envelope SHA-256>   (B lines)
//   checksum: <64 hex>                 SHA-256 of every byte before this line
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"
#include "vault/audit_log.hpp"
#include "vault/finding.hpp"

namespace ssoescrow::vault {

inline constexpr std::string_view k_rekey_dir = "rekey";
inline constexpr std::string_view k_rekey_manifest_file = "manifest";
inline constexpr std::string_view k_rekey_config_file = "config";
inline constexpr std::string_view k_rekey_manifest_magic = "ssoescrow-rekey-manifest/1";
inline constexpr std::size_t k_max_rekey_manifest_size = 1u << 20;

struct RekeyManifestLine {
    std::string old_backup;
    std::string old_envelope;  // SHA-256, 64 hex
    std::string new_backup;
    std::string new_envelope;
};

struct RekeyManifest {
    std::string request;  // 32 hex
    std::string vault_id;
    std::string old_config;
    std::string new_config;
    std::string old_policy;
    std::string new_policy;
    std::vector<RekeyManifestLine> backups;
};

std::string serialise_rekey_manifest(const RekeyManifest& manifest);
// Strict: the canonical form only; the checksum; every value of its kind (Errc::parse naming
// `source` and the line).
Result<RekeyManifest> parse_rekey_manifest(std::string_view text, std::string_view source);

enum class PendingRekeyState {
    none,         // no VAULT/rekey/
    uncommitted,  // VAULT/rekey/ without a manifest, or one that no policy-change record commits
    committed,    // committed and not finished
};

struct PendingRekey {
    PendingRekeyState state = PendingRekeyState::none;
    std::optional<RekeyManifest> manifest;  // when one was read
    const ChainRecord* commit = nullptr;    // the committing policy-change record (committed)
};

// The policy-change record that commits `manifest` (its `rekey` field and its new-config), or
// nullptr.
const ChainRecord* find_rekey_commit(const AuditChain& chain, const RekeyManifest& manifest);

// What VAULT/rekey/ holds and whether `chain` commits it. A manifest that does not parse is
// Errc::vault_damaged (it is written durably and whole, so it was changed by hand): nothing
// decides about such a ceremony but an operator.
Result<PendingRekey> read_pending_rekey(const std::filesystem::path& vault_dir,
                                        const AuditChain& chain);

// Removes VAULT/rekey/: the manifest first (so that an interrupted removal still reads as
// uncommitted), then every other file, then the directory. A missing directory is fine.
[[nodiscard]] Status remove_pending_rekey(const std::filesystem::path& vault_dir);

// What every writer does right after taking the writer lock (FORMAT.md 4.10): nothing when there
// is no VAULT/rekey/ (the common case costs one stat); an uncommitted ceremony is rolled back
// (removed); a committed unfinished one is Errc::vault_damaged naming `rekey finish`.
[[nodiscard]] Status settle_pending_rekey(const std::filesystem::path& vault_dir,
                                          std::string_view vault_id);

// `vault check`: rekey-pending (uncommitted: the next writer rolls it back), rekey-incomplete
// (committed, unfinished), rekey-manifest-damaged (damage).
void check_pending_rekey(const std::filesystem::path& vault_dir, const AuditChain& chain,
                         Findings& out);

}  // namespace ssoescrow::vault
