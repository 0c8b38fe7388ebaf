#include "crypto/shamir.hpp"

#include <array>
#include <string>
#include <utility>

#include "crypto/random.hpp"

namespace ssoescrow::crypto::shamir {

namespace {

// x^8 + x^4 + x^3 + x + 1, without the x^8 term (it is shifted out of the byte).
constexpr unsigned k_reduction = 0x1b;

// All ones if the lowest bit of `bit` is set, else zero: selects without branching.
constexpr unsigned mask_of(unsigned bit) noexcept {
    return 0u - (bit & 1u);
}

std::string threshold_range_message(unsigned threshold) {
    return "shamir threshold " + std::to_string(threshold) + " is outside " +
           std::to_string(k_min_threshold) + ".." + std::to_string(k_max_shares);
}

// Public random numbers for the x-coordinates, drawn from the CSPRNG in blocks (one system call
// per block rather than per number).
class PublicRandom {
  public:
    // Uniform in [0, bound) for 1 <= bound <= 256, by rejection (no modulo bias).
    unsigned below(unsigned bound) {
        const unsigned limit = 256 - 256 % bound;  // the largest multiple of bound <= 256
        for (;;) {
            if (m_used == m_block.size()) {
                random_fill(m_block);
                m_used = 0;
            }
            const unsigned r = m_block[m_used++];
            if (r < limit)
                return r % bound;
        }
    }

  private:
    std::array<std::uint8_t, 64> m_block{};
    std::size_t m_used = m_block.size();
};

// N random, distinct, non-zero x-coordinates: the first N entries of a uniformly shuffled 1..255
// (Fisher-Yates, stopped after N steps). x is public, so plain indexing and branching are fine.
std::array<std::uint8_t, k_max_shares> random_x_coordinates(unsigned count) {
    std::array<std::uint8_t, k_max_shares> xs{};
    for (unsigned i = 0; i < k_max_shares; ++i)
        xs[i] = static_cast<std::uint8_t>(i + 1);
    PublicRandom random;
    for (unsigned i = 0; i < count && i + 1 < k_max_shares; ++i) {
        std::swap(xs[i], xs[i + random.below(k_max_shares - i)]);
    }
    return xs;
}

// Lagrange basis polynomials of the given x's evaluated at 0:
//   l_i(0) = prod_{j != i} x_j / (x_j - x_i)    (subtraction is xor in GF(2^8)).
// Depends only on the public x's; the x's must be distinct and non-zero.
std::vector<std::uint8_t> lagrange_at_zero(std::span<const Share> shares) {
    std::vector<std::uint8_t> basis(shares.size());
    for (std::size_t i = 0; i < shares.size(); ++i) {
        std::uint8_t numerator = 1;
        std::uint8_t denominator = 1;
        for (std::size_t j = 0; j < shares.size(); ++j) {
            if (j == i)
                continue;
            numerator = gf_mul(numerator, shares[j].x);
            denominator = gf_mul(denominator, shares[j].x ^ shares[i].x);
        }
        basis[i] = gf_mul(numerator, gf_inv(denominator));
    }
    return basis;
}

// Everything combine refuses, checked before any arithmetic. Shares are named 1-based.
Status validate(std::span<const Share> shares, unsigned threshold) {
    if (threshold < k_min_threshold || threshold > k_max_shares) {
        return make_error(Errc::invalid_argument, threshold_range_message(threshold));
    }
    if (shares.size() < threshold) {
        return make_error(
            Errc::too_few_shares,
            "need " + std::to_string(threshold) + " shares, have " + std::to_string(shares.size()),
            "collect the shares of at least " + std::to_string(threshold) + " custodians");
    }
    // Input position (1-based) of the share that first used each x; 0 = unused.
    std::array<std::size_t, 256> first_with_x{};
    for (std::size_t i = 0; i < shares.size(); ++i) {
        const std::string name = "share " + std::to_string(i + 1);
        const Share& share = shares[i];
        if (share.x == 0) {
            return make_error(Errc::share_x_zero, name + " has x = 0, which no valid share has",
                              "the share is corrupt or not a share: ask its custodian again");
        }
        if (share.y.size() != k_secret_size) {
            return make_error(Errc::share_length,
                              name + " is " + std::to_string(share.y.size()) +
                                  " bytes long, expected " + std::to_string(k_secret_size),
                              "the share is truncated or of another format: ask its custodian "
                              "again");
        }
        if (first_with_x[share.x] != 0) {
            return make_error(Errc::share_duplicate,
                              name + " has the same x (" + std::to_string(share.x) + ") as share " +
                                  std::to_string(first_with_x[share.x]),
                              "each custodian's share may be given only once");
        }
        first_with_x[share.x] = i + 1;
    }
    return {};
}

}  // namespace

std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) noexcept {
    // Shift-and-add over the 8 bits of b. Every iteration does the same work: the bit of b and
    // the carry out of a select through masks, never through a branch or an index.
    unsigned product = 0;
    unsigned addend = a;
    for (unsigned bit = 0; bit < 8; ++bit) {
        product ^= addend & mask_of(static_cast<unsigned>(b) >> bit);
        addend = ((addend << 1) ^ (k_reduction & mask_of(addend >> 7))) & 0xffu;
    }
    return static_cast<std::uint8_t>(product);
}

std::uint8_t gf_inv(std::uint8_t a) noexcept {
    // a^254 = a^-1 for a != 0 (the multiplicative group has order 255) and 0 for a = 0.
    // 254 = 0b11111110: a fixed chain of 7 squarings and 6 multiplications.
    std::uint8_t result = a;                // a^1
    for (int step = 0; step < 6; ++step) {  // a^3, a^7, a^15, a^31, a^63, a^127
        result = gf_mul(gf_mul(result, result), a);
    }
    return gf_mul(result, result);  // a^254
}

Result<std::vector<Share>> split(const SecretBytes& secret, unsigned threshold, unsigned count) {
    if (threshold < k_min_threshold || threshold > k_max_shares) {
        return make_error(Errc::invalid_argument, threshold_range_message(threshold));
    }
    if (count > k_max_shares) {
        return make_error(Errc::invalid_argument, "shamir share count " + std::to_string(count) +
                                                      " exceeds the maximum of " +
                                                      std::to_string(k_max_shares));
    }
    if (threshold > count) {
        return make_error(Errc::invalid_argument, "shamir threshold " + std::to_string(threshold) +
                                                      " exceeds the share count " +
                                                      std::to_string(count));
    }
    if (secret.size() != k_secret_size) {
        return make_error(Errc::invalid_argument,
                          "shamir secret is " + std::to_string(secret.size()) +
                              " bytes long, expected " + std::to_string(k_secret_size));
    }

    // coefficients[byte * degree + (j - 1)] is the coefficient of x^j (j = 1..K-1) of the
    // polynomial of secret byte `byte`: uniform over all 256 values, zero included.
    const std::size_t degree = threshold - 1;
    const SecretBytes coefficients = SecretBytes::random(k_secret_size * degree);
    const std::array<std::uint8_t, k_max_shares> xs = random_x_coordinates(count);

    std::vector<Share> shares;
    shares.reserve(count);
    for (unsigned n = 0; n < count; ++n) {
        Share share{xs[n], SecretBytes(k_secret_size)};
        for (std::size_t byte = 0; byte < k_secret_size; ++byte) {
            // Horner: (((c_{K-1} x + c_{K-2}) x + ...) x + c_1) x + secret byte. The value is
            // accumulated in the share's own secret buffer.
            const std::uint8_t* poly = coefficients.data() + byte * degree;
            std::uint8_t& y = share.y[byte];
            y = poly[degree - 1];
            for (std::size_t j = degree - 1; j > 0; --j) {
                y = gf_mul(y, share.x) ^ poly[j - 1];
            }
            y = gf_mul(y, share.x) ^ secret[byte];
        }
        shares.push_back(std::move(share));
    }

    TRY(check_split(secret, shares, threshold));
    return shares;
}

Result<SecretBytes> combine(std::span<const Share> shares, unsigned threshold) {
    TRY(validate(shares, threshold));
    const std::span<const Share> used = shares.first(threshold);
    const std::vector<std::uint8_t> basis = lagrange_at_zero(used);

    // secret = sum_i y_i * l_i(0): the same multiplications and xors whatever the y's are.
    SecretBytes secret(k_secret_size);
    for (std::size_t i = 0; i < used.size(); ++i) {
        for (std::size_t byte = 0; byte < k_secret_size; ++byte) {
            secret[byte] ^= gf_mul(used[i].y[byte], basis[i]);
        }
    }
    return secret;
}

Status check_split(const SecretBytes& secret, std::span<const Share> shares, unsigned threshold) {
    Result<SecretBytes> rebuilt = combine(shares, threshold);
    if (!rebuilt.ok()) {
        return make_error(Errc::internal,
                          "shamir self-check failed: the shares just made are not valid (" +
                              rebuilt.error().message + ")");
    }
    if (!rebuilt.value().equals(secret)) {
        return make_error(Errc::internal, "shamir self-check failed: the first " +
                                              std::to_string(threshold) +
                                              " shares do not reconstruct the secret");
    }
    return {};
}

}  // namespace ssoescrow::crypto::shamir
