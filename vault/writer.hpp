// What every vault writer (backup, rotate, import, prune) does before it changes anything.
#pragma once

#include <string_view>

#include "crypto/result.hpp"
#include "vault/clock.hpp"
#include "vault/lock.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::vault {

// Takes the writer lock with `options` (operation, wait, clock); if a stale lock was broken on
// the way, a lock_override record naming its holder is appended to the audit log before
// anything else is written (FORMAT.md 4.5). The caller may report lock.taken_over() to the user.
[[nodiscard]] Result<WriterLock> acquire_writer_lock(const Vault& vault,
                                                     const LockOptions& options);

// The lock_override audit record for a lock broken by `taker` (an operation name).
[[nodiscard]] Status audit_lock_takeover(const Vault& vault, const BrokenLock& broken,
                                         std::string_view taker, UnixTime now);

// Proves, before anything irreversible happens (rotate generates a new master secret), that the
// vault can take a commit: in envelopes/ and audit/ a temp file (.tmp-*, ignored by readers) of
// k_writable_probe_size bytes is created, written, fsynced and removed. Errc::read_only,
// no_space or io naming the directory.
inline constexpr std::size_t k_writable_probe_size = 256 * 1024;
[[nodiscard]] Status check_vault_writable(const Vault& vault);

}  // namespace ssoescrow::vault
