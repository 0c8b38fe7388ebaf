// Committing a sealed envelope to the vault (used by backup, rotate and import).
//
// Write order (FORMAT.md 4.6), under the writer lock:
//   1. parse the envelope (header, stanzas, exact payload size) and check it is sealed to the
//      vault's current escrow policy (Errc::policy_mismatch otherwise);
//   2. the audit chain the writer verified under its lock (no second read); refuse to go on if
//      it is damaged (Errc::vault_damaged);
//   3. remove leftover temp files of crashed writers in envelopes/ and audit/;
//   4. check the lock is still ours; write envelopes/<id>.envelope durably, write-once, 0400
//                                                     crash point "store-after-envelope"
//   5. check the lock is still ours; append the audit record (type, id, SHA-256, metadata)
//                                                     crash point "store-after-record"
// A crash after 4 leaves an orphan (a warning for `vault check`, adopted by the next prune);
// before 4, at most a temp file. Success is reported only after 5.
#pragma once

#include <string>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "vault/audit_log.hpp"
#include "vault/lock.hpp"
#include "vault/vault.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::vault {

struct StoredBackup {
    std::string backup_id;      // 32 hex
    std::string path;           // "envelopes/<id>.envelope"
    std::string envelope_hash;  // SHA-256 of the file, 64 hex
    std::uint64_t audit_seq = 0;
};

// `type` is AuditType::backup, rotate or import (Errc::internal otherwise). `actor` empty:
// current_actor(). The envelope must be sealed for this vault, to its current policy, and signed
// by a signer of it (Errc::policy_mismatch otherwise); `signer` signs the audit record.
// `history` is the one the writer verified under `lock` (acquire_writer_lock): the record is
// appended to it, and the backup joins its verified backups.
Result<StoredBackup> store_envelope(const Vault& vault, WriterLock& lock, VerifiedHistory& history,
                                    ByteView envelope, AuditType type, UnixTime now,
                                    const crypto::SigningKey& signer, std::string actor = {});

}  // namespace ssoescrow::vault
