// Hashes and MACs for code outside crypto/ (which must not include sodium.h):
//
// - blake2b_256: unkeyed BLAKE2b with a 32-byte output (RFC 7693) over the concatenation of
//   `parts` (no separators are added: callers use fixed-length fields or length prefixes);
// - sha256: SHA-256 (FIPS 180-4);
// - hmac_sha256: HMAC-SHA-256 (RFC 2104) with a 32-byte secret key.
//
// All of them are libsodium's (crypto_generichash, crypto_hash_sha256, crypto_auth_hmacsha256).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::crypto {

inline constexpr std::size_t k_hash_size = 32;
using Digest = std::array<std::uint8_t, k_hash_size>;

Digest blake2b_256(std::initializer_list<ByteView> parts) noexcept;
Digest sha256(ByteView data) noexcept;
// `key` must be 32 bytes, else std::logic_error (a bug: callers pass derived subkeys).
Digest hmac_sha256(const SecretBytes& key, ByteView data);

}  // namespace ssoescrow::crypto
