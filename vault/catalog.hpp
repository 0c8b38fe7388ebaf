// The catalog: every backup of a vault and its state, built read-only from envelopes/ and the
// audit log (there is no separate catalog file that could disagree with them).
//
// States:
//   verified  the envelope parses (header, stanzas, exact payload size: envelope.hpp, no keys),
//             its name matches its backup id, its SHA-256 matches the audit record that
//             announced it, and its policy is one this vault has had
//   orphan    a valid envelope of a known policy without an audit record: a writer crashed after
//             committing the envelope and before its record (F2). A warning; the next prune adopts
//             it (an "adopt" record); it never blocks a job
//   pruned    removed by prune (its record exists) but the file is still there: a prune was
//             interrupted; the next prune removes it. A warning
//   missing   recorded in the audit log, never pruned, but the file is gone. Damage
//   damaged   unreadable, truncated, altered, renamed/swapped, or of a foreign policy. Damage
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "vault/audit_log.hpp"
#include "vault/finding.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::vault {

enum class BackupState { verified, orphan, pruned, missing, damaged };

std::string_view backup_state_name(BackupState state) noexcept;

struct CatalogEntry {
    std::string backup_id;  // 32 hex
    UnixTime created = 0;
    std::string computer;
    std::string secret_server;
    std::string current_msid;
    std::string previous_msid;
    std::string label;
    std::string policy_fingerprint;
    unsigned threshold = 0;
    std::vector<std::string> custodians;  // recipient fingerprints of the stanzas
    std::string path;                     // "envelopes/<id>.envelope", relative to the vault
    std::string envelope_hash;            // SHA-256 of the file, when it could be read
    BackupState state = BackupState::damaged;
    std::string problem;          // why it is not verified ("" when verified)
    std::uint64_t audit_seq = 0;  // the record that announced it (0: none)
    std::string recorded_as;      // "backup", "rotate", "import", "adopt" or ""

    bool usable() const noexcept { return state == BackupState::verified; }
};

struct Catalog {
    std::vector<CatalogEntry> entries;  // ascending creation time, then id
    Findings findings;                  // envelope-level findings (chain findings are in chain)
    AuditChain chain;

    // The newest verified backup, if any.
    const CatalogEntry* newest_verified() const noexcept;
    const CatalogEntry* find(std::string_view backup_id) const noexcept;
};

// Reads envelopes/ and audit/ of `vault`: read-only. Errors only when a directory cannot be
// listed at all or exceeds its entry ceiling.
Result<Catalog> build_catalog(const Vault& vault);

}  // namespace ssoescrow::vault
