// Signatures: Ed25519 (RFC 8032, libsodium crypto_sign_*), the signing keys of backup hosts and
// operators, and their public signer lines. Byte-level formats: vault/FORMAT.md section 2.4.
//
// A signing key belongs to a machine or an operator that writes backups and records (never to a
// custodian): the escrow policy lists the signers whose envelopes and audit records the vault
// accepts, so someone who can write the vault but holds no signing key cannot make ssoescrow
// restore, count or adopt anything they made.
//
// Signer line (exactly one line, LF-terminated in files):
//   ssoescrow-signer/1 ed25519 <public key, base64 (44 chars)> <fingerprint> <label>
// Fingerprint: first 16 bytes of BLAKE2b-256("ssoescrow/1 signer ed25519" || public key), lower
// hex in 8 groups of 4 joined by '-' (recomputed on every parse).
//
// Signing key file (owner-only, never in a vault; read with platform::read_secret_file):
//   ssoescrow-signing-key/1
//   signer: <signer line>
//   secret: <base64 of the 32-byte Ed25519 seed>
// The seed is decoded without secret-dependent branches (sodium_base642bin) and must give the
// signer line's public key, so a damaged or mismatched file is refused.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::crypto {

inline constexpr std::size_t k_ed25519_public_key_size = 32;
inline constexpr std::size_t k_ed25519_seed_size = 32;
inline constexpr std::size_t k_ed25519_secret_key_size = 64;  // libsodium: seed || public key
inline constexpr std::size_t k_ed25519_signature_size = 64;

using SignerPublicKey = std::array<std::uint8_t, k_ed25519_public_key_size>;
using Signature = std::array<std::uint8_t, k_ed25519_signature_size>;

// --- Ed25519 -----------------------------------------------------------------------------------

struct Ed25519KeyPair {
    SignerPublicKey public_key{};
    SecretBytes secret_key;  // 64 bytes (libsodium's seed || public key)
};

Ed25519KeyPair ed25519_generate();
// The key pair of a 32-byte seed; Errc::internal for another size (a bug).
Result<Ed25519KeyPair> ed25519_from_seed(const SecretBytes& seed);
// Detached signature of `message`; `secret_key` must be 64 bytes (std::logic_error otherwise).
Signature ed25519_sign(const SecretBytes& secret_key, ByteView message);
// True only for a valid signature of `message` under `public_key`. Any other size of key or
// signature is false; libsodium refuses non-canonical S, small-order keys and R (RFC 8032 5.1.7
// plus the cofactorless checks Wycheproof expects).
bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature) noexcept;

// --- Signer lines --------------------------------------------------------------------------

inline constexpr std::string_view k_signer_magic = "ssoescrow-signer/1";
inline constexpr std::string_view k_signing_key_magic = "ssoescrow-signing-key/1";
inline constexpr std::size_t k_max_signing_key_file_size = 1024;

struct Signer {
    SignerPublicKey public_key{};
    std::string label;  // untrusted, for humans (crypto::check_label rules)

    std::string fingerprint() const;
    std::string to_line() const;  // without the final newline
    // "label (fingerprint)", for messages.
    std::string describe() const;
};

std::string signer_fingerprint_of(const SignerPublicKey& public_key);

// Parses one signer line (a trailing "\n" is allowed). `source` names the file in errors.
Result<Signer> parse_signer(std::string_view text, std::string_view source);

// Whether `signature` is `signer`'s signature of `message`.
bool verify_signature(const Signer& signer, ByteView message, ByteView signature) noexcept;

// --- Signing keys --------------------------------------------------------------------------

struct SigningKey {
    Signer signer;
    SecretBytes secret_key;  // 64 bytes

    Signature sign(ByteView message) const;
};

SigningKey generate_signing_key(std::string label);

// The key file's bytes (they hold the secret seed, hence SecretBytes).
SecretBytes serialise_signing_key(const SigningKey& key);

// Parses a signing key file. Errc::parse (malformed; the seed does not give the line's key),
// Errc::unsupported_version, Errc::limit_exceeded; messages name `source`, never the secret.
Result<SigningKey> parse_signing_key(ByteView file, std::string_view source);

}  // namespace ssoescrow::crypto
