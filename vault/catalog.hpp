// The catalog: every backup of a vault and its state, built read-only from envelopes/ and the
// audit log (there is no separate catalog file that could disagree with them).
//
// States:
//   verified  the envelope parses (header, stanzas, exact payload size: envelope.hpp, no keys),
//             its name matches its backup id, it was sealed for this vault, its signature
//             verifies and its signer is a signer of the policy it names, its SHA-256 matches the
//             signed audit record that announced it (signed by a signer of the policy in force),
//             and its policy is one this vault has had
//
// Signers (FORMAT.md 3.14): the signers of a policy are the config's for the current policy (its
// fingerprint covers them) and, for an earlier policy, the policy-signer fingerprints of the
// vault-init or policy-change record that introduced it. A signed record counts only when its
// signer is a signer of the policy in force at its place in the chain; other records are damage
// (record-signature-invalid, record-signer-unknown) and never announce, adopt or prove anything.
//   orphan    a valid, signed envelope of the current policy without a (trusted) audit record: a
//             writer crashed after
//             committing the envelope and before its record (F2). A warning; the next prune adopts
//             it (an "adopt" record); it never blocks a job
//   pruned    removed by prune (its record exists) but the file is still there: a prune was
//             interrupted; the next prune removes it. A warning
//   missing   recorded in the audit log, never pruned, but the file is gone. Damage
//   damaged   unreadable, truncated, altered, renamed/swapped, or of a foreign policy. Damage
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/result.hpp"
#include "vault/audit_log.hpp"
#include "vault/envelope.hpp"
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
    std::string recorded_as;      // "backup", "rotate", "import", "adopt", "rekey" or ""
    std::string rekeyed_from;     // a rekey record's old-backup: the backup this one succeeds
    std::string signer;           // the envelope's signer fingerprint ("" when unreadable)
    std::string signer_label;     // its label in the policy, when the vault knows it

    bool usable() const noexcept { return state == BackupState::verified; }
};

struct Catalog {
    std::vector<CatalogEntry> entries;  // ascending creation time, then id
    Findings findings;                  // envelope-level findings (chain findings are in chain)
    AuditChain chain;
    // Signed records whose signature does not verify or whose signer the policy in force does
    // not list: never counted (status), never a backup's announcement, never a receipt.
    std::set<std::uint64_t> untrusted_records;

    bool trusted(const ChainRecord& record) const noexcept {
        return untrusted_records.count(record.record.seq) == 0;
    }

    // The newest verified backup, if any.
    const CatalogEntry* newest_verified() const noexcept;
    // By backup id, through an index (status and restore look up one entry per record).
    const CatalogEntry* find(std::string_view backup_id) const noexcept;
    // Rebuilds the index of find() after `entries` changed.
    void index_entries();

  private:
    struct IdHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view id) const noexcept {
            return std::hash<std::string_view>{}(id);
        }
    };
    std::unordered_map<std::string, std::size_t, IdHash, std::equal_to<>> m_by_id;
};

// Oldest first; backups made in the same second in the order the audit log recorded them.
void sort_catalog_entries(std::vector<CatalogEntry>& entries);

// "signer 'label' (fingerprint)", or "signer fingerprint" when no policy of the vault names it, or
// "no signature".
std::string describe_signer(const CatalogEntry& entry);

// The fields of an entry its envelope header tells (source, policy, threshold, custodians).
void fill_from_header(CatalogEntry& entry, const EnvelopeHeader& header);

// Reads envelopes/ and audit/ of `vault`: read-only. Errors only when a directory cannot be
// listed at all or exceeds its entry ceiling.
Result<Catalog> build_catalog(const Vault& vault);
// The same with the audit chain already read (read_audit_chain, complete): a writer that verified
// it under its lock does not read it twice.
Result<Catalog> build_catalog(const Vault& vault, AuditChain chain);

}  // namespace ssoescrow::vault
