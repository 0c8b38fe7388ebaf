#include "crypto/shamir.hpp"

#include <array>
#include <cstring>
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

// --- Public-operand arithmetic -----------------------------------------------------------------

// Log/exp tables of the field (generator 3), for PUBLIC values only (the Lagrange basis of the
// x's): a table index or a branch on a secret would leak it through the cache or the branch
// predictor.
struct PublicTables {
    std::array<std::uint8_t, 256> log{};
    std::array<std::uint8_t, 510> exp{};
};

constexpr PublicTables make_public_tables() {
    PublicTables tables;
    unsigned value = 1;
    for (unsigned i = 0; i < 255; ++i) {
        tables.exp[i] = static_cast<std::uint8_t>(value);
        tables.exp[i + 255] = static_cast<std::uint8_t>(value);
        tables.log[value] = static_cast<std::uint8_t>(i);
        unsigned doubled = value << 1;  // value * 3 = value ^ (value * 2), reduced
        if ((doubled & 0x100u) != 0)
            doubled ^= 0x100u | k_reduction;
        value ^= doubled;
    }
    return tables;
}

constexpr PublicTables k_public_tables = make_public_tables();

// --- Secret-operand arithmetic, eight field elements per 64-bit word ---------------------------

constexpr std::uint64_t k_low_bit_of_each_byte = 0x0101010101010101u;
constexpr std::uint64_t k_low_seven_bits_of_each_byte = 0x7f7f7f7f7f7f7f7fu;

// Each byte times x (the field element 2): shift left, and reduce the bytes whose top bit fell
// out. The reduction is a multiply of 0/1 bytes by 0x1b (no carry between bytes), not a branch.
std::uint64_t times_two_packed(std::uint64_t bytes) noexcept {
    const std::uint64_t carries = (bytes >> 7) & k_low_bit_of_each_byte;
    return ((bytes & k_low_seven_bits_of_each_byte) << 1) ^ (carries * k_reduction);
}

// Each of the eight secret bytes times the same scalar: the same shift-and-add as gf_mul, the
// scalar's bits selecting through masks.
std::uint64_t mul_packed(std::uint64_t bytes, std::uint8_t scalar) noexcept {
    std::uint64_t product = 0;
    for (unsigned bit = 0; bit < 8; ++bit) {
        product ^= bytes & (std::uint64_t{0} - ((static_cast<std::uint64_t>(scalar) >> bit) & 1u));
        bytes = times_two_packed(bytes);
    }
    return product;
}

// A 32-byte row (a secret, a share's y, or the coefficients of one degree) as four words.
constexpr std::size_t k_words = k_secret_size / 8;
using Row = std::array<std::uint64_t, k_words>;

Row load_row(const std::uint8_t* bytes) noexcept {
    Row row;
    std::memcpy(row.data(), bytes, k_secret_size);
    return row;
}

void store_row(const Row& row, std::uint8_t* bytes) noexcept {
    std::memcpy(bytes, row.data(), k_secret_size);
}

// row * scalar + addend, element-wise.
Row mul_add(const Row& row, std::uint8_t scalar, const Row& addend) noexcept {
    Row out;
    for (std::size_t w = 0; w < k_words; ++w)
        out[w] = mul_packed(row[w], scalar) ^ addend[w];
    return out;
}

void wipe_row(Row& row) noexcept {
    wipe(std::span(reinterpret_cast<std::uint8_t*>(row.data()), k_secret_size));
}

// Lagrange basis polynomials of the given x's evaluated at 0:
//   l_i(0) = prod_{j != i} x_j / (x_j - x_i)    (subtraction is xor in GF(2^8)),
// computed with logarithms: log l_i = sum_{j != i} log x_j - sum_{j != i} log(x_j ^ x_i), mod 255,
// one table read per pair instead of two products. Depends only on the public x's, which must be
// distinct and non-zero (so no logarithm of zero is taken).
std::vector<std::uint8_t> lagrange_at_zero(std::span<const ShareView> shares) {
    const auto& log = k_public_tables.log;
    unsigned log_of_all = 0;
    for (const ShareView& share : shares)
        log_of_all += log[share.x];
    std::vector<std::uint8_t> basis(shares.size());
    for (std::size_t i = 0; i < shares.size(); ++i) {
        const std::uint8_t xi = shares[i].x;
        unsigned log_denominator = 0;
        for (std::size_t j = 0; j < shares.size(); ++j) {
            if (j != i)
                log_denominator += log[shares[j].x ^ xi];
        }
        const unsigned log_numerator = log_of_all - log[xi];
        // + 255 * 255 keeps the difference positive: at most 254 terms of at most 254 each.
        basis[i] = k_public_tables.exp[(log_numerator + 255u * 255u - log_denominator) % 255u];
    }
    return basis;
}

// Everything combine refuses, checked before any arithmetic. Shares are named 1-based.
Status validate(std::span<const ShareView> shares, unsigned threshold) {
    if (threshold < k_min_threshold || threshold > k_max_shares) {
        return make_error(Errc::invalid_argument, threshold_range_message(threshold));
    }
    if (shares.size() < threshold) {
        return make_error(
            Errc::too_few_shares,
            "need " + std::to_string(threshold) + " shares, have " + std::to_string(shares.size()),
            "collect the shares of at least " + std::to_string(threshold) + " custodians");
    }
    const auto name = [](std::size_t i) { return "share " + std::to_string(i + 1); };
    // Input position (1-based) of the share that first used each x; 0 = unused.
    std::array<std::size_t, 256> first_with_x{};
    for (std::size_t i = 0; i < shares.size(); ++i) {
        const ShareView& share = shares[i];
        if (share.x == 0) {
            return make_error(Errc::share_x_zero, name(i) + " has x = 0, which no valid share has",
                              "the share is corrupt or not a share: ask its custodian again");
        }
        if (share.y.size() != k_secret_size) {
            return make_error(Errc::share_length,
                              name(i) + " is " + std::to_string(share.y.size()) +
                                  " bytes long, expected " + std::to_string(k_secret_size),
                              "the share is truncated or of another format: ask its custodian "
                              "again");
        }
        if (first_with_x[share.x] != 0) {
            return make_error(Errc::share_duplicate,
                              name(i) + " has the same x (" + std::to_string(share.x) +
                                  ") as share " + std::to_string(first_with_x[share.x]),
                              "each custodian's share may be given only once");
        }
        first_with_x[share.x] = i + 1;
    }
    return {};
}

Result<SecretBytes> combine_views(std::span<const ShareView> shares, unsigned threshold) {
    TRY(validate(shares, threshold));
    const std::span<const ShareView> used = shares.first(threshold);
    const std::vector<std::uint8_t> basis = lagrange_at_zero(used);

    // secret = sum_i y_i * l_i(0): the same multiplications and xors whatever the y's are.
    Row sum{};
    for (std::size_t i = 0; i < used.size(); ++i) {
        Row y = load_row(used[i].y.data());
        sum = mul_add(y, basis[i], sum);
        wipe_row(y);
    }
    SecretBytes secret(k_secret_size);
    store_row(sum, secret.data());
    wipe_row(sum);
    return secret;
}

std::vector<ShareView> views_of(std::span<const Share> shares) {
    std::vector<ShareView> views;
    views.reserve(shares.size());
    for (const Share& share : shares)
        views.push_back({share.x, share.y.view()});
    return views;
}

std::vector<ShareView> views_of(const ShareSet& shares) {
    std::vector<ShareView> views;
    views.reserve(shares.size());
    for (std::size_t i = 0; i < shares.size(); ++i)
        views.push_back(shares[i]);
    return views;
}

Status check_combined(const SecretBytes& secret, const Result<SecretBytes>& rebuilt,
                      unsigned threshold) {
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

Result<ShareSet> split(const SecretBytes& secret, unsigned threshold, unsigned count) {
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

    // One secure buffer: the N shares' y's, then the K-1 coefficient rows (row j-1 holds the
    // coefficients of x^j of the 32 polynomials, one per secret byte: uniform over all 256
    // values, zero included). The coefficients are wiped as soon as the shares exist.
    const std::size_t degree = threshold - 1;
    const std::array<std::uint8_t, k_max_shares> xs = random_x_coordinates(count);
    ShareSet shares;
    shares.m_xs.assign(xs.begin(), xs.begin() + count);
    shares.m_ys = SecretBytes((count + degree) * k_secret_size);
    std::uint8_t* const coefficients = shares.m_ys.data() + count * k_secret_size;
    random_fill(std::span(coefficients, degree * k_secret_size));

    Row constant = load_row(secret.data());
    Row y{};
    for (unsigned n = 0; n < count; ++n) {
        // Horner: (((c_{K-1} x + c_{K-2}) x + ...) x + c_1) x + secret, 32 bytes at a time.
        const std::uint8_t x = shares.m_xs[n];
        y = load_row(coefficients + (degree - 1) * k_secret_size);
        for (std::size_t j = degree - 1; j > 0; --j)
            y = mul_add(y, x, load_row(coefficients + (j - 1) * k_secret_size));
        y = mul_add(y, x, constant);
        store_row(y, shares.m_ys.data() + n * k_secret_size);
    }
    wipe_row(y);
    wipe_row(constant);
    shares.m_ys.truncate(count * k_secret_size);

    TRY(check_split(secret, shares, threshold));
    return shares;
}

Share ShareSet::owned_share(std::size_t i) const {
    const ShareView view = (*this)[i];
    return Share{view.x, SecretBytes::copy_of(view.y)};
}

std::vector<Share> ShareSet::to_shares() const {
    std::vector<Share> shares;
    shares.reserve(size());
    for (std::size_t i = 0; i < size(); ++i)
        shares.push_back(owned_share(i));
    return shares;
}

Result<SecretBytes> combine(std::span<const Share> shares, unsigned threshold) {
    return combine_views(views_of(shares), threshold);
}

Result<SecretBytes> combine(const ShareSet& shares, unsigned threshold) {
    return combine_views(views_of(shares), threshold);
}

Status check_split(const SecretBytes& secret, std::span<const Share> shares, unsigned threshold) {
    return check_combined(secret, combine(shares, threshold), threshold);
}

Status check_split(const SecretBytes& secret, const ShareSet& shares, unsigned threshold) {
    return check_combined(secret, combine(shares, threshold), threshold);
}

}  // namespace ssoescrow::crypto::shamir
