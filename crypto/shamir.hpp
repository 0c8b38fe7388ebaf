// Shamir secret sharing over GF(2^8) of a fixed 32-byte secret (always the file key: a fixed
// length means shares reveal nothing about the secret's size).
//
// Field: GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1 (0x11b). Every product with a
// secret operand is a branch-free shift-and-add with masks, eight field elements at a time in a
// 64-bit word (a secret byte times a public x); inversion is a^254 by a fixed square-and-multiply
// chain. No secret-dependent branch or table index (timing/cache side channels): lookup tables are
// used only for the Lagrange basis, which depends on the public x's alone. tests/ctgrind checks
// this under Valgrind with the secrets marked undefined.
//
// Memory: a split's shares live in ONE secure allocation (ShareSet, sodium_malloc'ed with guard
// pages and mlock) that also holds the random coefficients while they are used; a combine makes
// one, its result. Per-share allocations cost more than the arithmetic at large N.
//
// split: for each of the 32 secret bytes, a polynomial of degree K-1 whose constant term is the
// secret byte and whose other K-1 coefficients are uniform over all 256 field elements (zero
// included) from the CSPRNG. The N x-coordinates are random, distinct and non-zero, so they do
// not reveal N or the custodian order.
//
// combine validates before any arithmetic, each problem with its own error code:
//   threshold outside 2..255 -> Errc::invalid_argument
//   fewer than K shares      -> Errc::too_few_shares ("need K shares, have M")
//   a share with x = 0       -> Errc::share_x_zero
//   a y not 32 bytes         -> Errc::share_length
//   two shares, same x       -> Errc::share_duplicate
// Every share given is validated (not only the first K); messages name shares by their position
// in the input, counted from 1 ("share 3 ..."), and the first problem in input order is reported.
// Then it Lagrange-interpolates at x = 0 using the first K shares, in time independent of the y
// values. combine cannot tell a wrong share from a right one: callers check share commitments
// before and a MAC after (see vault/FORMAT.md).
//
// split checks its own output before returning it (check_split): the first K shares must combine
// back to the secret, compared in constant time, else Errc::internal and no shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::crypto::shamir {

inline constexpr std::size_t k_secret_size = 32;
inline constexpr unsigned k_min_threshold = 2;
inline constexpr unsigned k_max_shares = 255;

// One share that owns its y (a share received from a custodian, or handed to one).
struct Share {
    std::uint8_t x = 0;  // public, non-zero
    SecretBytes y;       // k_secret_size bytes
};

// A share inside a ShareSet: y points into the set's secure storage and is valid while the set
// lives.
struct ShareView {
    std::uint8_t x = 0;
    ByteView y;
};

// The N shares of one split in a single secure buffer (wiped and freed with the set). Move-only
// like SecretBytes; shares are copied out only on request (owned_share, to_shares).
class ShareSet {
  public:
    ShareSet() noexcept = default;

    std::size_t size() const noexcept { return m_xs.size(); }
    ShareView operator[](std::size_t i) const noexcept {
        return {m_xs[i], ByteView(m_ys.data() + i * k_secret_size, k_secret_size)};
    }
    // A copy of share i in its own SecretBytes.
    Share owned_share(std::size_t i) const;
    // Copies of every share (one secure allocation each).
    std::vector<Share> to_shares() const;

  private:
    friend Result<ShareSet> split(const SecretBytes& secret, unsigned threshold, unsigned count);
    std::vector<std::uint8_t> m_xs;  // public
    SecretBytes m_ys;                // size() * k_secret_size bytes, share i at i * k_secret_size
};

// 2 <= threshold <= count <= 255 and secret.size() == 32, else Errc::invalid_argument.
Result<ShareSet> split(const SecretBytes& secret, unsigned threshold, unsigned count);

Result<SecretBytes> combine(std::span<const Share> shares, unsigned threshold);
// The same over the shares of a split (their first `threshold` are used).
Result<SecretBytes> combine(const ShareSet& shares, unsigned threshold);

// The self-check split runs on its result: `shares` must pass combine's validation and their
// first `threshold` shares must reconstruct `secret` (constant-time compare); Errc::internal if
// not.
[[nodiscard]] Status check_split(const SecretBytes& secret, std::span<const Share> shares,
                                 unsigned threshold);
[[nodiscard]] Status check_split(const SecretBytes& secret, const ShareSet& shares,
                                 unsigned threshold);

// Field arithmetic, exposed for tests.
std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) noexcept;
std::uint8_t gf_inv(std::uint8_t a) noexcept;  // gf_inv(0) == 0

}  // namespace ssoescrow::crypto::shamir
