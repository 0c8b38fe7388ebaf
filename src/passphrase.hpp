// Where passphrases come from. Never argv, never the environment:
//   - the terminal (/dev/tty or the Windows console, echo off and restored on every path,
//     Ctrl-C included; asked twice when a new passphrase is chosen);
//   - --passphrase-file F: refused unless the file is owner-only (mode 0600 or stricter; on
//     Windows a DACL granting only you, SYSTEM and Administrators), a regular file and not a
//     symlink (platform/secret_input.hpp);
//   - --passphrase-fd N: read to end of file from an inherited descriptor (e.g. a pipe); on
//     Windows N is a C runtime descriptor number, in practice 0 (standard input).
// File and descriptor input: exactly one trailing LF (or CR LF) is removed, nothing else; an empty
// passphrase is refused. Passphrases are at most k_max_passphrase_size bytes.
#pragma once

#include <optional>
#include <string>

#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow {

inline constexpr std::size_t k_max_passphrase_size = 1024;

enum class PassphrasePurpose {
    unlock,  // open an existing identity: ask once
    create,  // protect a new identity: ask twice, must match
};

struct PassphraseSource {
    std::optional<std::string> file;  // --passphrase-file
    std::optional<int> fd;            // --passphrase-fd
};

// `what` names the thing being unlocked or created ("alice.key"), for the prompt and errors.
Result<crypto::SecretBytes> obtain_passphrase(const PassphraseSource& source,
                                              PassphrasePurpose purpose, const std::string& what);

}  // namespace ssoescrow
