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

// The strength floor for a new custodian passphrase (README "Custodian keys", SECURITY.md).
// An identity file that leaves the custodian's hands is protected by the passphrase alone, so
// `custodian keygen` refuses one that an offline guesser would find early:
//   - fewer than k_min_passphrase_characters characters (Unicode code points); or
//   - an estimate below k_min_passphrase_bits: effective characters x log2(pool), where the pool
//     adds the classes used (a-z 26, A-Z 26, 0-9 10, other ASCII incl. space 33, non-ASCII 100)
//     and a character is not effective when it repeats the previous one or is its neighbour in
//     code point order ("aaaa", "abcd" and "4321" count once), and a passphrase that repeats a
//     shorter unit counts that unit once ("passpasspass"); or
//   - letters that, lower-cased with everything else removed, are one of a few words every
//     guesser tries first ("password", "qwerty", "letmein", "ssoescrow", ...).
// The estimate is deliberately simple and explainable, not a guarantee: it only turns away
// what is certainly weak. Nothing here copies the passphrase outside guarded memory.
inline constexpr std::size_t k_min_passphrase_characters = 12;
inline constexpr double k_min_passphrase_bits = 50.0;

struct PassphraseStrength {
    std::size_t characters = 0;
    std::size_t effective = 0;
    double bits = 0.0;
    bool common_word = false;
};
PassphraseStrength estimate_passphrase(const crypto::SecretBytes& passphrase);
// Errc::invalid_argument naming which rule failed (never the passphrase), with advice.
[[nodiscard]] Status check_passphrase_strength(const crypto::SecretBytes& passphrase,
                                               const std::string& what);

}  // namespace ssoescrow
