// Authenticated encryption: XChaCha20-Poly1305 (IETF construction, libsodium
// crypto_aead_xchacha20poly1305_ietf_*). 256-bit key, 192-bit nonce (random nonces are safe at
// this size), 128-bit tag appended to the ciphertext.
#pragma once

#include <cstddef>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::crypto {

inline constexpr std::size_t k_aead_key_size = 32;
inline constexpr std::size_t k_aead_nonce_size = 24;
inline constexpr std::size_t k_aead_tag_size = 16;

// Returns ciphertext || tag. `key` must be k_aead_key_size bytes and `nonce` k_aead_nonce_size
// bytes (checked; a wrong size is a programming error reported as Errc::internal).
Result<Bytes> aead_seal(const SecretBytes& key, ByteView nonce, ByteView plaintext,
                        ByteView associated_data);

// Opens ciphertext || tag into a SecretBytes. Any tampering with key, nonce, ciphertext, tag or
// associated data gives Errc::auth_failed ("authentication failed"); no plaintext is released.
// A ciphertext shorter than the tag is a forgery like any other: Errc::auth_failed too.
Result<SecretBytes> aead_open(const SecretBytes& key, ByteView nonce, ByteView ciphertext,
                              ByteView associated_data);

}  // namespace ssoescrow::crypto
