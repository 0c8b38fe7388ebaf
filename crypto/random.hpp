// The CSPRNG (libsodium's randombytes: getrandom(2) on Linux). Everything random in ssoescrow
// comes from here: keys, nonces, Shamir coefficients and x-coordinates, ids, temp-file names.
#pragma once

#include <cstdint>
#include <span>

#include "crypto/bytes.hpp"

namespace ssoescrow::crypto {

// Must be called once before any other crypto function (sodium_init); safe to call again.
[[nodiscard]] Status initialize();

void random_fill(std::span<std::uint8_t> out) noexcept;
Bytes random_bytes(std::size_t size);
// Uniform in [0, upper_bound) without modulo bias; upper_bound must be >= 1.
std::uint32_t random_uniform(std::uint32_t upper_bound) noexcept;

}  // namespace ssoescrow::crypto
