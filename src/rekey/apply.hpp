// The operator's side of a rekey (FORMAT.md 4.10): `rekey apply` moves every covered backup to
// the request's new policy under the writer lock, through a pending state (VAULT/rekey/), one
// commit record (policy-change with `rekey`) and the finish; `rekey finish` completes a
// committed ceremony that was interrupted.
//
// With --verify-custodians, apply stops after the pending state (plus rekey/awaiting-proof) and
// releases the lock; the new custodians prove with `rekey prove`; `rekey apply --proof` combines
// their shares, opens every pending envelope and only then commits and finishes.
//
// Crash points (platform/test_hooks.hpp), in order: rekey-after-pending-envelope (each new
// envelope in rekey/), rekey-after-pending-config, rekey-after-awaiting-proof (with
// --verify-custodians), rekey-after-manifest, rekey-after-manifest-rewrite (--proof, when a
// backup was pruned while awaiting proof), rekey-after-commit,
// rekey-after-config, then per backup rekey-after-link, rekey-after-record,
// rekey-after-prune-record, rekey-after-unlink; rekey-before-cleanup.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "crypto/sign.hpp"
#include "src/rekey/ceremony.hpp"
#include "src/restore/request.hpp"
#include "vault/lock.hpp"
#include "vault/rekey_pending.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::rekey {

struct RekeyedBackup {
    std::string old_backup;
    std::string new_backup;
};

struct FinishOutcome {
    std::string request;  // the request id of the finished ceremony ("" when none was pending)
    std::string new_policy;
    std::vector<RekeyedBackup> backups;
    bool rolled_back = false;  // `rekey finish` found an uncommitted ceremony and removed it
};

struct ApplyOptions {
    std::filesystem::path vault_dir;
    const crypto::SigningKey* signer = nullptr;  // a signer of the new policy
    std::vector<ApprovalFile> approvals;
    // --verify-custodians: stop after the pending state, awaiting proof from the new custodians.
    bool verify_custodians = false;
    // --proof: commit a ceremony awaiting proof (instead of approvals).
    std::vector<ApprovalFile> proofs;
    bool leave_uncovered = false;
    vault::LockOptions lock;  // operation "rekey"
    vault::WriterContext writer;
};

struct ApplyOutcome {
    bool only_finished = false;  // this request was committed earlier: it was only finished
    std::string old_policy;
    std::string new_policy;
    std::uint64_t commit_seq = 0;
    std::vector<RekeyedBackup> rekeyed;
    std::vector<std::string> skipped;         // covered, but no longer verified (pruned since)
    std::vector<std::string> left_uncovered;  // verified, not covered, left sealed as they were
    bool rolled_back = false;                 // an uncommitted earlier ceremony was removed
    bool awaiting_proof = false;              // --verify-custodians: prepared, not committed
    std::size_t prepared = 0;                 // pending envelopes written (awaiting proof)
    std::int64_t expires = 0;                 // when a ceremony awaiting proof is rolled back
    std::vector<std::string> proven_by;  // the new custodians whose proofs opened every envelope
};

// Steps 1-8 of FORMAT.md 4.10. `key` must be the request's (check_rekey_key).
Result<ApplyOutcome> apply_rekey(const RekeyRequest& request, const restore::RequestKey& key,
                                 const ApplyOptions& options);

// Takes the writer lock and finishes a committed ceremony (idempotent); an uncommitted one is
// rolled back; none is nothing to do. `signer` must be a signer of the new policy.
Result<FinishOutcome> finish_rekey(const std::filesystem::path& vault_dir,
                                   const crypto::SigningKey& signer, const vault::LockOptions& lock,
                                   const vault::WriterContext& writer);

// The pending envelopes `lines` name in VAULT/rekey/, each checked: its SHA-256 is the
// manifest's, it is sealed to the request's new policy and signed by one of its signers.
Result<std::vector<Bytes>> read_pending_envelopes(const std::filesystem::path& dir,
                                                  const RekeyRequest& request,
                                                  std::span<const vault::RekeyManifestLine> lines);

// Takes the writer lock and removes an uncommitted ceremony (awaiting proof or interrupted);
// refuses a committed one (it must be finished). Returns the removed ceremony's request id, ""
// when there was none.
Result<std::string> abandon_rekey(const std::filesystem::path& vault_dir,
                                  const vault::LockOptions& lock,
                                  const vault::WriterContext& writer);

}  // namespace ssoescrow::rekey
