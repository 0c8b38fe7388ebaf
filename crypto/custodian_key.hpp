// Custodian keys: an X25519 identity (secret, in a passphrase-sealed file) and its recipient
// (public, one line that can be pasted into an e-mail). Byte-level formats: vault/FORMAT.md,
// sections "Recipient line" and "Identity file".
//
// Recipient line (exactly one line, LF-terminated in files):
//   ssoescrow-recipient/1 x25519 <public key, base64 (44 chars)> <fingerprint> <label>
// Fingerprint: first 16 bytes of BLAKE2b-256("ssoescrow/1 recipient x25519" || public key), lower
// hex in 8 groups of 4 joined by '-'. It is recomputed on every parse, so a mangled key is caught.
#pragma once

#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/kdf.hpp"
#include "crypto/secret_bytes.hpp"
#include "crypto/x25519.hpp"

namespace ssoescrow::crypto {

inline constexpr std::string_view k_recipient_magic = "ssoescrow-recipient/1";
inline constexpr std::string_view k_identity_magic = "ssoescrow-identity/1";
inline constexpr std::size_t k_max_label_size = 64;

struct Recipient {
    std::string type = "x25519";  // the only type so far
    PublicKey public_key{};
    std::string label;  // untrusted, for humans: printable UTF-8, no control characters

    std::string fingerprint() const;
    std::string to_line() const;  // without the final newline
};

std::string fingerprint_of(const PublicKey& public_key);

// Labels: 1..64 bytes, no control characters (bytes < 0x20 and 0x7f), no leading/trailing space.
Status check_label(std::string_view label);

// Parses one recipient line (a trailing "\n" is allowed). `source` names the file in errors.
Result<Recipient> parse_recipient(std::string_view text, std::string_view source);

struct Identity {
    Recipient recipient;
    SecretBytes secret_key;  // 32 bytes
    KdfParams kdf{};         // set by open_identity: the cost the file was sealed with
};

Identity generate_identity(std::string label);

// Whether seal_identity enforces the KDF floor (kdf.hpp: libsodium's interactive level). Only
// tests that must run the KDF many times (and the test-vector generator) go below it, and they
// say so at the call; no command-line path can.
enum class KdfFloor { enforce, below_floor_for_tests };

// Seals the identity's secret key under the passphrase (Argon2id with `params`, fresh salt,
// XChaCha20-Poly1305), and returns the identity file's bytes. Errc::invalid_argument for a cost
// below the floor (unless KdfFloor::below_floor_for_tests).
Result<Bytes> seal_identity(const Identity& identity, const SecretBytes& passphrase,
                            const KdfParams& params, KdfFloor floor = KdfFloor::enforce);

// Parses and opens an identity file's bytes. Errors, each distinct:
//   Errc::parse / unsupported_version / limit_exceeded  malformed, newer format, KDF over ceiling
//   Errc::auth_failed                                    the file is damaged (checksum or tag)
//   Errc::wrong_passphrase                               the passphrase is not this file's
Result<Identity> open_identity(ByteView file_bytes, const SecretBytes& passphrase,
                               std::string_view source);

// The recipient of an identity file without the passphrase (the file stores it in clear).
Result<Recipient> identity_recipient(ByteView file_bytes, std::string_view source);

}  // namespace ssoescrow::crypto
