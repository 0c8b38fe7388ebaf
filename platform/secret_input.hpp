// Secrets (passphrases, passwords) read from a file or an inherited descriptor, never from argv
// or the environment. Both refuse more than max_size bytes (Errc::limit_exceeded), checked while
// reading, so nothing larger is ever held.
#pragma once

#include <cstddef>
#include <string>

#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::platform {

// The whole content of a secret file that only its owner can read, which must be you:
// - POSIX: a regular file (not a symlink: O_NOFOLLOW), mode 0600 or stricter, owned by the
//   effective user;
// - Windows: a regular file (not a reparse point), owned by you (or by Administrators when you
//   are one), whose DACL grants read or write to nobody but its owner, SYSTEM and
//   Administrators.
// Errc::not_found, Errc::io, or Errc::unsafe_permissions with the command that fixes it
// (chmod 600 F / icacls "F" /inheritance:r /grant:r "%USERNAME%:F").
Result<crypto::SecretBytes> read_owner_only_secret_file(const std::string& path,
                                                        std::size_t max_size);

// Everything from an inherited descriptor (--passphrase-fd N) until end of file. `fd` is a POSIX
// file descriptor; on Windows a C runtime descriptor number: 0 is standard input (a pipe:
// `Get-Content pass.txt | ssoescrow ... --passphrase-fd 0`); others exist only if a C runtime
// parent passed them (as _spawn does), translated with _get_osfhandle. Errc::usage when it is not
// open; Errc::io when reading fails. `what` names the source in messages.
Result<crypto::SecretBytes> read_secret_from_descriptor(int fd, std::size_t max_size,
                                                        const std::string& what);

}  // namespace ssoescrow::platform
