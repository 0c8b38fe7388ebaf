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
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::crypto {

inline constexpr std::size_t k_hash_size = 32;
using Digest = std::array<std::uint8_t, k_hash_size>;

Digest blake2b_256(std::initializer_list<ByteView> parts) noexcept;
Digest sha256(ByteView data) noexcept;
// The fingerprint of a public key as people compare it: the first 16 bytes of
// BLAKE2b-256(label || key) in lower-case hex, grouped by four with '-'. The label keeps the
// fingerprints of different key kinds apart (vault/FORMAT.md 2.1 and 2.4).
std::string labelled_fingerprint(std::string_view label, ByteView public_key);
// A key of any size (RFC 2104 section 2: a key longer than the 64-byte block is hashed first).
// ssoescrow's own callers pass 32-byte derived subkeys; other sizes exist for the Wycheproof
// vectors, which run through this same function.
Digest hmac_sha256(const SecretBytes& key, ByteView data);
// Whether `tag` is the first tag.size() bytes of hmac_sha256(key, data), compared in constant
// time. `tag` must be 16..32 bytes (a shorter tag is false: never accept a guessable MAC).
bool hmac_sha256_verify(const SecretBytes& key, ByteView data, ByteView tag);

}  // namespace ssoescrow::crypto
