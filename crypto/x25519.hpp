// X25519 key agreement and share wrapping.
//
// A custodian holds an X25519 key pair: the identity (secret scalar, in a passphrase-sealed file,
// see custodian_key.hpp) and the recipient (public key, shared freely).
//
// wrap_to_recipient seals a small secret (a 32-byte Shamir share) to a recipient:
//   e        = fresh ephemeral X25519 secret key, E = e * G
//   shared   = X25519(e, R)                 (refused if all-zero: low-order R)
//   key      = HKDF-SHA256(ikm = shared, salt = E || R, info = "ssoescrow/1 share-wrap")
//   nonce    = 24 random bytes
//   wrapped  = E (32) || nonce (24) || XChaCha20-Poly1305(key, nonce, secret, ad = context)
// The caller's `context` (e.g. backup id, x, custodian fingerprint) is the associated data, so a
// wrapped share moved into another context does not open.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::crypto {

inline constexpr std::size_t k_x25519_key_size = 32;
using PublicKey = std::array<std::uint8_t, k_x25519_key_size>;

struct KeyPair {
    SecretBytes secret_key;  // 32 bytes
    PublicKey public_key;
};

KeyPair generate_keypair();
// The public key belonging to a 32-byte secret scalar (other sizes: Errc::invalid_argument).
Result<PublicKey> public_key_of(const SecretBytes& secret_key);

// RFC 7748 X25519(scalar, u): bit 255 of u is ignored and u >= p is reduced, as the RFC says.
// Errc::auth_failed when the result is all zero (u of low order); every caller must treat that
// as a hostile or corrupt peer key. A scalar that is not 32 bytes is Errc::invalid_argument, a u
// that is not 32 bytes Errc::parse.
Result<SecretBytes> x25519(const SecretBytes& scalar, ByteView u_coordinate);

inline constexpr std::size_t k_wrap_overhead = 32 + 24 + 16;

// Errc::auth_failed if `recipient` is of low order.
Result<Bytes> wrap_to_recipient(const PublicKey& recipient, ByteView secret, ByteView context);
// Errc::auth_failed if the wrapped bytes, the identity or the context do not match (including an
// ephemeral key of low order); Errc::parse if `wrapped` is shorter than k_wrap_overhead;
// Errc::invalid_argument if the identity secret key is not 32 bytes.
Result<SecretBytes> unwrap_with_identity(const SecretBytes& identity_secret_key,
                                         const PublicKey& identity_public_key, ByteView wrapped,
                                         ByteView context);

}  // namespace ssoescrow::crypto
