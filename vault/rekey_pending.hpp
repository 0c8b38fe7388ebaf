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
//
// With `rekey apply --verify-custodians`, VAULT/rekey/awaiting-proof is written before the
// manifest; an uncommitted manifest with it is a ceremony *awaiting proof* from the new custodians:
// writers keep it (they go on, sealing to the old policy) until the request expires, then roll
// it back. Only `rekey apply --proof` commits it and only `rekey abandon` removes it earlier.
//
//   ssoescrow-rekey-awaiting-proof/1
//   request: <32 hex>
//   vault: <32 hex>
//   expires: <time>                    the request's expiry
//   checksum: <64 hex>
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
inline constexpr std::string_view k_rekey_awaiting_file = "awaiting-proof";
inline constexpr std::string_view k_rekey_awaiting_magic = "ssoescrow-rekey-awaiting-proof/1";

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

struct RekeyAwaitingProof {
    std::string request;  // 32 hex
    std::string vault_id;
    UnixTime expires = 0;
};

std::string serialise_rekey_awaiting(const RekeyAwaitingProof& awaiting);
Result<RekeyAwaitingProof> parse_rekey_awaiting(std::string_view text, std::string_view source);

std::string serialise_rekey_manifest(const RekeyManifest& manifest);
// Strict: the canonical form only; the checksum; every value of its kind (Errc::parse naming
// `source` and the line).
Result<RekeyManifest> parse_rekey_manifest(std::string_view text, std::string_view source);

enum class PendingRekeyState {
    none,            // no VAULT/rekey/
    uncommitted,     // VAULT/rekey/ without a manifest, or one that no record commits (and
                     // not awaiting proof)
    awaiting_proof,  // uncommitted, prepared by --verify-custodians: kept until it expires
    committed,       // committed and not finished
};

struct PendingRekey {
    PendingRekeyState state = PendingRekeyState::none;
    std::optional<RekeyManifest> manifest;       // when one was read
    const ChainRecord* commit = nullptr;         // the committing policy-change record (committed)
    std::optional<RekeyAwaitingProof> awaiting;  // awaiting_proof

    // Awaiting proof, and the request expired by `now`: writers roll it back.
    bool expired(UnixTime now) const {
        return state == PendingRekeyState::awaiting_proof && now >= awaiting->expires;
    }
};

// The policy-change record that commits `manifest` (its `rekey` field and its new-config), or
// nullptr.
const ChainRecord* find_rekey_commit(const AuditChain& chain, const RekeyManifest& manifest);

// What VAULT/rekey/ holds and whether `chain` commits it. A manifest that does not parse is
// Errc::vault_damaged (it is written durably and whole, so it was changed by hand): nothing
// decides about such a ceremony but an operator. So is an awaiting-proof file beside a manifest
// that does not parse or names another request.
Result<PendingRekey> read_pending_rekey(const std::filesystem::path& vault_dir,
                                        const AuditChain& chain);

// Removes VAULT/rekey/: the manifest first (so that an interrupted removal still reads as
// uncommitted), then every other file, then the directory. A missing directory is fine.
[[nodiscard]] Status remove_pending_rekey(const std::filesystem::path& vault_dir);

// What every writer does right after taking the writer lock (FORMAT.md 4.10): nothing when there
// is no VAULT/rekey/ (the common case costs one stat); an uncommitted ceremony is rolled back
// (removed); one awaiting proof is kept until its request expires (then rolled back); a
// committed unfinished one is Errc::vault_damaged naming `rekey finish`.
[[nodiscard]] Status settle_pending_rekey(const std::filesystem::path& vault_dir,
                                          std::string_view vault_id);

// `vault check`: rekey-pending (uncommitted: the next writer rolls it back),
// rekey-awaiting-proof, rekey-incomplete (committed, unfinished), rekey-manifest-damaged (damage
// of the manifest or of the awaiting-proof file).
void check_pending_rekey(const std::filesystem::path& vault_dir, const AuditChain& chain,
                         Findings& out);

}  // namespace ssoescrow::vault
