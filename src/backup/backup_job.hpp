// The scheduled backup job and its relatives: `backup`, `rotate` and `import`.
//
// backup / rotate, in this order (every step logged; the first failure stops the job):
//   1. open the vault; take the writer lock and verify the history (vault/writer.hpp: intact
//      chain, the config is the audit-logged one, not rolled back against this host's
//      latest-seen state: else Errc::vault_damaged); a stale lock is taken over and audit-logged;
//      refuse (Errc::policy_mismatch) an escrow policy that is not the pinned one: --expect-policy,
//      else the pin this host learned on first use (learned now when there is none); for rotate,
//      prove the vault takes a commit now (check_vault_writable): rotate must never create a
//      secret it cannot escrow (a backup that cannot commit is simply run again);
//   3. bridge `status`: this computer must be the master secret server (else ENTSSO 10766's
//      advice, naming the secret server, without calling backup/generate);
//   4. remove scratch directories of dead runs; create a private scratch directory (0700) with
//      interrupt cleanup armed; choose the backup id, a generated password and a reminder
//      naming the backup id;
//   5. bridge `backup` (or `generate`, which creates the new secret and writes its backup);
//   6. read the .bak (1 byte..1 MiB), check the MSIDs and the `reminder` round trip (the file
//      must be the one just written, readable by ENTSSO);
//   7. seal it to the vault policy (seal_envelope opens its own envelope with K shares before
//      returning) and wipe the scratch directory;
//   8. commit under the lock (store_envelope: envelope durably, then the audit record) and read
//      the committed file back;
//   9. prune per the retention policy; a prune failure is reported after the commit, never
//      undoing it.
// For rotate, any failure after step 5 is reported as "generated but NOT escrowed" with the
// command that repairs it (a `backup` right away).
//
// import: the same from step 1 with the operator's .bak and password instead of steps 3..6;
// with a bridge the reminder is read through it (proving ENTSSO can read the file). MSIDs are
// recorded as "unknown" unless given. The envelope's and the record's `created` time is when the
// .bak was made (--created, else the file's modification time), not the import's, so that
// `status` judges the age of the secret's backup, not of its escrow; the typed password stays
// unproven until a restore uses it (status: msid-current).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"
#include "src/job_log.hpp"
#include "vault/clock.hpp"
#include "vault/envelope.hpp"
#include "vault/lock.hpp"
#include "vault/store.hpp"

namespace ssoescrow::backup {

inline constexpr std::string_view k_unknown_msid = "unknown";

enum class JobKind { backup, rotate, import };
std::string_view job_name(JobKind kind) noexcept;

struct VaultTarget {
    std::filesystem::path vault_dir;
    // "sha256:<64 hex>"; empty: the policy this host pinned on first use (policy-pin in its
    // state directory, learned now when there is none yet). Either way the pin is enforced.
    std::string expect_policy;
    // This host's state root (--state-dir; empty: the default): the rollback witness every
    // writer compares the audit log with, and the policy pin.
    std::filesystem::path state_root;
    std::chrono::seconds lock_wait{0};
    bool prune = true;
    std::string label;  // for the envelope's source metadata; may be empty
    // Signs the envelope and its audit record (and adopt records of a prune); must be a signer of
    // the vault's policy. Required.
    const crypto::SigningKey* signer = nullptr;
};

struct BridgeTarget {
    std::string command;  // empty: no bridge (import only)
    std::chrono::milliseconds timeout{std::chrono::seconds(120)};
};

struct BackupJobOptions {
    VaultTarget vault;
    BridgeTarget bridge;
    std::filesystem::path temp_parent;  // empty: std::filesystem::temp_directory_path()
    // On a cluster node that does not own the SSO group, succeed without doing anything (the
    // same scheduled job runs on every node; the owner backs up). A standalone server that is
    // not the secret server stays an error.
    bool skip_on_passive_node = false;
};

struct ImportOptions {
    VaultTarget vault;
    BridgeTarget bridge;  // optional: reads and checks the reminder
    std::filesystem::path bak_file;
    std::string current_msid;   // empty: "unknown"
    std::string previous_msid;  // empty: "unknown" (or "" when current is given)
    std::string computer;       // empty: "unknown"
    std::string secret_server;  // empty: "unknown"
    // When the .bak was made; empty: the file's modification time. Never after the import.
    std::optional<std::int64_t> created;
};

struct JobResult {
    JobKind kind = JobKind::backup;
    vault::StoredBackup stored;
    vault::SourceInfo source;
    std::int64_t created = 0;
    std::string policy_fingerprint;
    std::size_t bak_size = 0;
    std::vector<std::string> pruned;            // backup ids removed by the prune after the commit
    std::optional<Error> prune_error;           // the backup is committed even then
    std::optional<std::string> skipped_reason;  // set: nothing was done (passive cluster node)
};

[[nodiscard]] Result<JobResult> run_backup_job(JobKind kind, const BackupJobOptions& options,
                                               JobLog& log, vault::Clock& clock);

[[nodiscard]] Result<JobResult> run_import(const ImportOptions& options,
                                           const crypto::SecretBytes& password, JobLog& log,
                                           vault::Clock& clock);

}  // namespace ssoescrow::backup
