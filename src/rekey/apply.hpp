// The operator's side of a rekey (FORMAT.md 4.10): `rekey apply` moves every covered backup to
// the request's new policy under the writer lock, through a pending state (VAULT/rekey/), one
// commit record (policy-change with `rekey`) and the finish; `rekey finish` completes a
// committed ceremony that was interrupted.
//
// Crash points (platform/test_hooks.hpp), in order: rekey-after-pending-envelope (each new
// envelope in rekey/), rekey-after-pending-config, rekey-after-manifest, rekey-after-commit,
// rekey-after-config, then per backup rekey-after-link, rekey-after-record,
// rekey-after-prune-record, rekey-after-unlink; rekey-before-cleanup.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "crypto/sign.hpp"
#include "src/rekey/ceremony.hpp"
#include "src/restore/request.hpp"
#include "vault/lock.hpp"
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
};

// Steps 1-8 of FORMAT.md 4.10. `key` must be the request's (check_rekey_key).
Result<ApplyOutcome> apply_rekey(const RekeyRequest& request, const restore::RequestKey& key,
                                 const ApplyOptions& options);

// Takes the writer lock and finishes a committed ceremony (idempotent); an uncommitted one is
// rolled back; none is nothing to do. `signer` must be a signer of the new policy.
Result<FinishOutcome> finish_rekey(const std::filesystem::path& vault_dir,
                                   const crypto::SigningKey& signer, const vault::LockOptions& lock,
                                   const vault::WriterContext& writer);

}  // namespace ssoescrow::rekey
