// The emulator's backup-file format (ENTSSO's own .bak format is not published; this one is only
// read and written by sso-emulator). Layout, all integers little-endian:
//
//   offset     size  field
//   0          8     magic "SSOEMBAK"
//   8          2     version = 1
//   10         2     R = reminder length in bytes (at most k_max_reminder_bytes)
//   12         R     password reminder, UTF-8, in clear (GetFilePasswordReminder reads it without
//                    the password; it is authenticated as associated data, never secret)
//   12+R       16    Argon2id salt
//   +16        4     Argon2id passes (1..4)
//   +4         4     Argon2id memory in KiB (8..65536)
//   +4         24    XChaCha20-Poly1305 nonce
//   +24        4     C = ciphertext length (payload + 16-byte tag)
//   +4         C     ciphertext || tag; key = Argon2id(password, salt), associated data = every
//                    byte before the ciphertext (so the reminder and parameters cannot be altered)
//   end              nothing may follow
//
// Payload: 1 byte flags (bit 0: a previous secret is present), 32-byte current master secret,
// 38-byte current MSID ("{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}"), then, when flagged, the 32-byte
// previous secret and its 38-byte MSID. Nothing else.
//
// A file that does not follow this layout is a format error (ENTSSO 10564); a layout that parses
// but whose ciphertext does not open is a wrong password (10779): like ENTSSO, the emulator cannot
// tell a wrong password from an altered ciphertext.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::emulator {

inline constexpr std::size_t k_secret_size = 32;
inline constexpr std::size_t k_msid_size = 38;
inline constexpr std::size_t k_max_reminder_bytes = 4 * 512;
inline constexpr std::size_t k_max_bak_bytes = 64 * 1024;

struct MasterSecrets {
    crypto::SecretBytes current;
    std::string current_msid;
    crypto::SecretBytes previous;  // empty when there is none
    std::optional<std::string> previous_msid;
};

// Errc::parse: not a backup file of this format (10564).
Result<std::string> read_bak_reminder(ByteView file);

// Errc::parse (10564) or Errc::auth_failed (wrong password, 10779).
Result<MasterSecrets> open_bak(ByteView file, const crypto::SecretBytes& password);

// A fresh salt and nonce each time; the fixed, small KDF cost is written in the header.
Result<Bytes> seal_bak(const MasterSecrets& secrets, const crypto::SecretBytes& password,
                       std::string_view reminder);

// "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}", upper-case hex, as in the ENTSSO registry keys.
std::string new_msid();
bool is_msid(std::string_view text);

}  // namespace ssoescrow::emulator
