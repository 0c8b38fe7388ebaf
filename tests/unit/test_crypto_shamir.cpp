#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"
#include "crypto/shamir.hpp"

using ssoescrow::Errc;
using ssoescrow::crypto::SecretBytes;
namespace shamir = ssoescrow::crypto::shamir;
using shamir::Share;

namespace {

// --- Reference field arithmetic, deliberately the schoolbook way -----------------------------

// Carry-less product of two bytes (a polynomial of degree <= 14), then long division by the AES
// polynomial x^8 + x^4 + x^3 + x + 1 from the top bit down.
std::uint8_t ref_mul(std::uint8_t a, std::uint8_t b) {
    unsigned product = 0;
    for (unsigned i = 0; i < 8; ++i) {
        if ((b >> i) & 1u)
            product ^= static_cast<unsigned>(a) << i;
    }
    for (int bit = 14; bit >= 8; --bit) {
        if ((product >> bit) & 1u)
            product ^= 0x11bu << (bit - 8);
    }
    return static_cast<std::uint8_t>(product);
}

std::uint8_t ref_inv(std::uint8_t a) {
    for (unsigned b = 1; b < 256; ++b) {
        if (ref_mul(a, static_cast<std::uint8_t>(b)) == 1)
            return static_cast<std::uint8_t>(b);
    }
    return 0;
}

// A polynomial over GF(2^8), lowest coefficient first.
using Poly = std::vector<std::uint8_t>;

std::uint8_t evaluate(const Poly& poly, std::uint8_t x) {
    std::uint8_t y = 0;
    for (std::size_t i = poly.size(); i-- > 0;)
        y = ref_mul(y, x) ^ poly[i];
    return y;
}

// The Lagrange basis polynomials of distinct x's: basis[i](x_j) = (i == j).
std::vector<Poly> lagrange_basis(const std::vector<std::uint8_t>& xs) {
    std::vector<Poly> basis;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        Poly numerator{1};
        std::uint8_t denominator = 1;
        for (std::size_t j = 0; j < xs.size(); ++j) {
            if (j == i)
                continue;
            // numerator *= (X - x_j); subtraction is xor.
            Poly next(numerator.size() + 1, 0);
            for (std::size_t k = 0; k < numerator.size(); ++k) {
                next[k + 1] ^= numerator[k];
                next[k] ^= ref_mul(numerator[k], xs[j]);
            }
            numerator = next;
            denominator = ref_mul(denominator, xs[i] ^ xs[j]);
        }
        const std::uint8_t scale = ref_inv(denominator);
        for (auto& c : numerator)
            c = ref_mul(c, scale);
        basis.push_back(numerator);
    }
    return basis;
}

// The unique polynomial of degree < ys.size() through (basis x's, ys).
Poly interpolate(const std::vector<Poly>& basis, const std::vector<std::uint8_t>& ys) {
    Poly poly(ys.size(), 0);
    for (std::size_t i = 0; i < ys.size(); ++i) {
        for (std::size_t k = 0; k < basis[i].size(); ++k)
            poly[k] ^= ref_mul(basis[i][k], ys[i]);
    }
    return poly;
}

// --- Helpers --------------------------------------------------------------------------------

Share clone(const Share& share) {
    return Share{share.x, share.y.clone()};
}

std::vector<Share> pick(const std::vector<Share>& shares, const std::vector<std::size_t>& which) {
    std::vector<Share> out;
    for (std::size_t i : which)
        out.push_back(clone(shares[i]));
    return out;
}

std::vector<Share> clone_all(const std::vector<Share>& shares) {
    std::vector<std::size_t> all(shares.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    return pick(shares, all);
}

std::vector<Share> split_ok(const SecretBytes& secret, unsigned k, unsigned n) {
    auto result = shamir::split(secret, k, n);
    INFO("split(" << k << ", " << n << ")");
    REQUIRE(result.ok());
    REQUIRE(result->size() == n);
    return result->to_shares();
}

bool reconstructs(std::span<const Share> shares, unsigned k, const SecretBytes& secret) {
    auto result = shamir::combine(shares, k);
    return result.ok() && result->equals(secret);
}

Share share_from_hex(std::uint8_t x, std::string_view hex) {
    auto bytes = ssoescrow::from_hex(hex, "test vector");
    REQUIRE(bytes.ok());
    return Share{x, SecretBytes::copy_of(*bytes)};
}

// Pearson's statistic of a histogram against the uniform distribution over its bins.
double chi_square_uniform(const std::vector<std::size_t>& counts) {
    const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
    const double expected = total / static_cast<double>(counts.size());
    double chi = 0;
    for (std::size_t c : counts) {
        const double d = static_cast<double>(c) - expected;
        chi += d * d / expected;
    }
    return chi;
}

}  // namespace

// --- Field arithmetic -----------------------------------------------------------------------

TEST_CASE("gf_mul matches the reference multiplication for all 65536 pairs", "[shamir]") {
    // FIPS-197 section 4.2 examples.
    REQUIRE(shamir::gf_mul(0x57, 0x83) == 0xc1);
    REQUIRE(shamir::gf_mul(0x57, 0x13) == 0xfe);

    std::size_t mismatches = 0;
    unsigned first_a = 0;
    unsigned first_b = 0;
    for (unsigned a = 0; a < 256; ++a) {
        for (unsigned b = 0; b < 256; ++b) {
            const auto a8 = static_cast<std::uint8_t>(a);
            const auto b8 = static_cast<std::uint8_t>(b);
            if (shamir::gf_mul(a8, b8) != ref_mul(a8, b8)) {
                if (mismatches++ == 0) {
                    first_a = a;
                    first_b = b;
                }
            }
        }
    }
    INFO("first mismatch at a=" << first_a << " b=" << first_b);
    REQUIRE(mismatches == 0);
}

TEST_CASE("gf_inv is the multiplicative inverse, and 0 for 0", "[shamir]") {
    REQUIRE(shamir::gf_inv(0) == 0);
    REQUIRE(shamir::gf_inv(1) == 1);
    std::vector<unsigned> wrong;
    for (unsigned a = 1; a < 256; ++a) {
        const auto a8 = static_cast<std::uint8_t>(a);
        const std::uint8_t inverse = shamir::gf_inv(a8);
        if (ref_mul(inverse, a8) != 1 || inverse != ref_inv(a8))
            wrong.push_back(a);
    }
    INFO("wrong inverses: " << wrong.size());
    REQUIRE(wrong.empty());
}

// --- Reconstruction -------------------------------------------------------------------------

TEST_CASE("combine reproduces independently computed vectors", "[shamir]") {
    // K = 3; the polynomials and shares were computed by an independent script (Python, AES
    // xtime multiplication): secret bytes a0..bf, coefficients SHA-256("c1") and SHA-256("c2").
    const auto expected = ssoescrow::from_hex(
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", "expected");
    REQUIRE(expected.ok());
    std::vector<Share> shares;
    shares.push_back(
        share_from_hex(0x01, "ec5d2d387f986b2112b84c31e49ec3a3f39928245e9397919e6d25eca46eb177"));
    shares.push_back(
        share_from_hex(0x02, "5d7e0e73abbd6265ec79939c8972ffe271a38383632d56e8c339791dc91f6293"));
    shares.push_back(
        share_from_hex(0x53, "293edf10278f2c3dd0b8215f82c10750c086a0cd8e77fd9488a298c37c8dc61b"));
    shares.push_back(
        share_from_hex(0xff, "af4a2ab1df660df7e0374266e98c583e5e0b93ee7d89f038488c92248abee52d"));

    for (const auto& which : std::vector<std::vector<std::size_t>>{
             {0, 1, 2}, {1, 2, 3}, {3, 0, 2}, {2, 3, 1, 0}, {0, 1, 3}}) {
        auto result = shamir::combine(pick(shares, which), 3);
        REQUIRE(result.ok());
        REQUIRE(result->equals(*expected));
    }
    // Two shares of a K = 3 split interpolate a different (wrong) value: K matters.
    auto two = shamir::combine(pick(shares, {0, 1}), 2);
    REQUIRE(two.ok());
    REQUIRE_FALSE(two->equals(*expected));
}

TEST_CASE("every subset of at least K shares reconstructs, exhaustively for N <= 7", "[shamir]") {
    std::mt19937 order_rng(20261126);  // orders the shares; the shares come from the CSPRNG
    for (unsigned n = 2; n <= 7; ++n) {
        for (unsigned k = 2; k <= n; ++k) {
            const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
            std::vector<Share> shares = split_ok(secret, k, n);
            for (unsigned mask = 1; mask < (1u << n); ++mask) {
                std::vector<std::size_t> which;
                for (unsigned i = 0; i < n; ++i) {
                    if ((mask >> i) & 1u)
                        which.push_back(i);
                }
                std::shuffle(which.begin(), which.end(), order_rng);
                INFO("K=" << k << " N=" << n << " subset mask=" << mask);
                // The subset borrows the shares (moved out and back: no copies).
                std::vector<Share> given;
                for (std::size_t i : which)
                    given.push_back(std::move(shares[i]));
                auto result = shamir::combine(given, k);
                for (std::size_t t = 0; t < which.size(); ++t)
                    shares[which[t]] = std::move(given[t]);
                if (which.size() >= k) {
                    REQUIRE(result.ok());
                    REQUIRE(result->equals(secret));
                } else {
                    REQUIRE_FALSE(result.ok());
                    REQUIRE(result.error().code == Errc::too_few_shares);
                }
            }
        }
    }
}

TEST_CASE("random subsets reconstruct for N up to 255", "[shamir]") {
    std::mt19937 rng(7);
    struct Config {
        unsigned k;
        unsigned n;
        int samples;
    };
    for (const Config c : {Config{2, 255, 40}, Config{3, 17, 40}, Config{128, 255, 8},
                           Config{200, 255, 4}, Config{255, 255, 4}}) {
        const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
        // Shuffling the shares themselves (no copies of 255 guarded buffers per sample).
        std::vector<Share> shares = split_ok(secret, c.k, c.n);
        const std::span<const Share> view(shares);
        for (int s = 0; s < c.samples; ++s) {
            std::shuffle(shares.begin(), shares.end(), rng);
            // Exactly K, and sometimes a few more than K.
            const std::size_t extra = std::uniform_int_distribution<std::size_t>(0, c.n - c.k)(rng);
            for (std::size_t take : {std::size_t{c.k}, c.k + extra}) {
                INFO("K=" << c.k << " N=" << c.n << " taking " << take);
                auto result = shamir::combine(view.first(take), c.k);
                REQUIRE(result.ok());
                REQUIRE(result->equals(secret));
            }
        }
    }
}

TEST_CASE("secrets of all-zero and all-0xff bytes split and reconstruct", "[shamir]") {
    for (std::uint8_t fill : {std::uint8_t{0x00}, std::uint8_t{0xff}}) {
        SecretBytes secret(shamir::k_secret_size);
        for (std::size_t i = 0; i < secret.size(); ++i)
            secret[i] = fill;
        const std::vector<Share> shares = split_ok(secret, 2, 2);
        REQUIRE(reconstructs(clone_all(shares), 2, secret));
        // The shares do not simply repeat the secret.
        REQUIRE_FALSE(shares[0].y.equals(secret));
    }
}

// --- Secrecy --------------------------------------------------------------------------------

TEST_CASE("K-1 shares are consistent with every value of a secret byte", "[shamir]") {
    // For K-1 shares and each candidate v of one secret byte, interpolating the K-1 points plus
    // (0, v) gives a polynomial of degree <= K-1 through all of them. So every v is equally
    // possible given K-1 shares. As v runs over the field, that polynomial's value at a further
    // share's x runs over all 256 values exactly once, and only the true secret byte matches the
    // further share.
    std::mt19937 rng(42);
    struct Config {
        unsigned k;
        unsigned n;
    };
    for (const Config c : {Config{2, 3}, Config{3, 5}, Config{5, 9}, Config{16, 40}}) {
        const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
        const std::vector<Share> shares = split_ok(secret, c.k, c.n);
        std::vector<std::size_t> order(c.n);
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::shuffle(order.begin(), order.end(), rng);
        const std::size_t byte = std::uniform_int_distribution<std::size_t>(0, 31)(rng);
        const Share& further = shares[order[c.k - 1]];

        std::vector<std::uint8_t> xs{0};
        std::vector<std::uint8_t> ys{0};  // ys[0] = candidate v, set below
        for (unsigned i = 0; i + 1 < c.k; ++i) {
            xs.push_back(shares[order[i]].x);
            ys.push_back(shares[order[i]].y[byte]);
        }
        const std::vector<Poly> basis = lagrange_basis(xs);

        std::set<std::uint8_t> values_at_further;
        std::vector<unsigned> matching;
        for (unsigned v = 0; v < 256; ++v) {
            ys[0] = static_cast<std::uint8_t>(v);
            const Poly poly = interpolate(basis, ys);
            INFO("K=" << c.k << " N=" << c.n << " byte " << byte << " v=" << v);
            REQUIRE(poly.size() == c.k);  // degree <= K-1
            REQUIRE(poly[0] == v);
            for (std::size_t i = 0; i < xs.size(); ++i)
                REQUIRE(evaluate(poly, xs[i]) == ys[i]);
            const std::uint8_t at_further = evaluate(poly, further.x);
            values_at_further.insert(at_further);
            if (at_further == further.y[byte])
                matching.push_back(v);
        }
        REQUIRE(values_at_further.size() == 256);
        REQUIRE(matching.size() == 1);
        REQUIRE(matching[0] == secret[byte]);
    }
}

TEST_CASE("x coordinates are random, distinct and non-zero", "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    std::vector<std::size_t> x_counts(256, 0);
    std::set<std::uint8_t> first_x;
    for (int s = 0; s < 1000; ++s) {
        const std::vector<Share> shares = split_ok(secret, 2, 6);
        std::set<std::uint8_t> xs;
        for (const Share& share : shares) {
            REQUIRE(share.x != 0);
            xs.insert(share.x);
            ++x_counts[share.x];
        }
        REQUIRE(xs.size() == shares.size());
        first_x.insert(shares[0].x);
    }
    // 6000 draws over 255 values: every value turns up (a missing one has probability ~1e-8),
    // and the first share does not always get the same x.
    REQUIRE(x_counts[0] == 0);
    REQUIRE(std::count(x_counts.begin() + 1, x_counts.end(), std::size_t{0}) == 0);
    REQUIRE(first_x.size() > 200);

    // With N = 255 the x's are exactly 1..255.
    const std::vector<Share> all = split_ok(secret, 2, 255);
    std::set<std::uint8_t> xs;
    for (const Share& share : all)
        xs.insert(share.x);
    REQUIRE(xs.size() == 255);
    REQUIRE(*xs.begin() == 1);
}

TEST_CASE("coefficients and share bytes are roughly uniform over the whole field", "[shamir]") {
    // A fixed secret, K = 5, N = 5: the test recovers each byte's polynomial from the five
    // shares and histograms its four random coefficients (zero included) and the share bytes.
    // 51,200 and 64,000 samples, 255 degrees of freedom: chi-square has mean 255 and standard
    // deviation ~23; the bounds below are ~10 deviations away (not flaky), yet a biased or
    // non-random source fails them. Coefficients drawn from 1..255 only would leave bin 0 empty
    // (expected 200, standard deviation ~14): the bin-0 bound catches that.
    constexpr unsigned k = 5;
    SecretBytes secret(shamir::k_secret_size);
    for (std::size_t i = 0; i < secret.size(); ++i)
        secret[i] = static_cast<std::uint8_t>(0x5a + i);
    std::vector<std::size_t> coefficient_counts(256, 0);
    std::vector<std::size_t> share_counts(256, 0);
    for (int s = 0; s < 400; ++s) {
        const std::vector<Share> shares = split_ok(secret, k, k);
        std::vector<std::uint8_t> xs;
        for (const Share& share : shares)
            xs.push_back(share.x);
        const std::vector<Poly> basis = lagrange_basis(xs);
        for (std::size_t byte = 0; byte < shamir::k_secret_size; ++byte) {
            std::vector<std::uint8_t> ys;
            for (const Share& share : shares) {
                ys.push_back(share.y[byte]);
                ++share_counts[share.y[byte]];
            }
            const Poly poly = interpolate(basis, ys);
            REQUIRE(poly[0] == secret[byte]);
            for (unsigned j = 1; j < k; ++j)
                ++coefficient_counts[poly[j]];
        }
    }
    const double chi_coefficients = chi_square_uniform(coefficient_counts);
    const double chi_shares = chi_square_uniform(share_counts);
    INFO("chi-square coefficients " << chi_coefficients << ", shares " << chi_shares);
    REQUIRE(coefficient_counts[0] > 80);  // expected 200: zero coefficients do occur
    REQUIRE(chi_coefficients > 120);
    REQUIRE(chi_coefficients < 480);
    REQUIRE(chi_shares > 120);
    REQUIRE(chi_shares < 480);
}

// --- Rejections -----------------------------------------------------------------------------

TEST_CASE("split rejects bad parameters", "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    struct Bad {
        unsigned k;
        unsigned n;
        const char* what;
    };
    for (const Bad b :
         {Bad{0, 3, "threshold 0"}, Bad{1, 3, "threshold 1"},
          Bad{4, 3, "threshold 4 exceeds the share count 3"}, Bad{2, 256, "count 256"},
          Bad{2, 1000, "count 1000"}, Bad{256, 256, "threshold 256"},
          Bad{2, 0, "threshold 2 exceeds"}, Bad{2, 1, "threshold 2 exceeds"}}) {
        auto result = shamir::split(secret, b.k, b.n);
        INFO("K=" << b.k << " N=" << b.n);
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().code == Errc::invalid_argument);
        REQUIRE_THAT(result.error().message, Catch::Contains(b.what));
    }
    for (std::size_t size : {std::size_t{0}, std::size_t{16}, std::size_t{31}, std::size_t{33}}) {
        auto result = shamir::split(SecretBytes::random(size), 2, 3);
        INFO("secret size " << size);
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().code == Errc::invalid_argument);
        REQUIRE_THAT(result.error().message,
                     Catch::Contains("secret is " + std::to_string(size) + " bytes"));
    }
    // The extremes are accepted.
    REQUIRE(shamir::split(secret, 2, 2).ok());
    REQUIRE(shamir::split(secret, 255, 255).ok());
}

TEST_CASE("combine rejects too few shares and a bad threshold", "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    const std::vector<Share> shares = split_ok(secret, 3, 5);

    for (std::size_t have : {std::size_t{0}, std::size_t{1}, std::size_t{2}}) {
        std::vector<std::size_t> which(have);
        std::iota(which.begin(), which.end(), std::size_t{0});
        auto result = shamir::combine(pick(shares, which), 3);
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().code == Errc::too_few_shares);
        REQUIRE(result.error().message == "need 3 shares, have " + std::to_string(have));
    }
    for (unsigned k : {0u, 1u, 256u, 1000u}) {
        auto result = shamir::combine(clone_all(shares), k);
        INFO("threshold " << k);
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().code == Errc::invalid_argument);
        REQUIRE_THAT(result.error().message, Catch::Contains("threshold " + std::to_string(k)));
    }
}

TEST_CASE("combine rejects a share with x = 0, naming it", "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    const std::vector<Share> shares = split_ok(secret, 3, 5);
    for (std::size_t bad : {std::size_t{0}, std::size_t{1}, std::size_t{4}}) {
        std::vector<Share> given = clone_all(shares);
        given[bad].x = 0;
        auto result = shamir::combine(given, 3);
        INFO("bad share index " << bad);
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().code == Errc::share_x_zero);
        REQUIRE_THAT(result.error().message,
                     Catch::StartsWith("share " + std::to_string(bad + 1) + " has x = 0"));
    }
}

TEST_CASE("combine rejects two shares with the same x, naming both", "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    const std::vector<Share> shares = split_ok(secret, 3, 5);

    // The very same share twice.
    auto twice = shamir::combine(pick(shares, {0, 1, 0}), 3);
    REQUIRE_FALSE(twice.ok());
    REQUIRE(twice.error().code == Errc::share_duplicate);
    REQUIRE_THAT(twice.error().message, Catch::StartsWith("share 3 has the same x"));
    REQUIRE_THAT(twice.error().message, Catch::EndsWith("as share 1"));

    // A different y under an existing x (a conflicting share), beyond the first K too.
    for (std::size_t bad : {std::size_t{2}, std::size_t{4}}) {
        std::vector<Share> given = clone_all(shares);
        given[bad].x = given[1].x;
        auto result = shamir::combine(given, 3);
        INFO("bad share index " << bad);
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().code == Errc::share_duplicate);
        REQUIRE_THAT(result.error().message,
                     Catch::StartsWith("share " + std::to_string(bad + 1) + " has the same x (" +
                                       std::to_string(given[1].x) + ") as share 2"));
    }
}

TEST_CASE("combine rejects shares of the wrong length, naming them", "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    const std::vector<Share> shares = split_ok(secret, 3, 5);
    for (std::size_t size :
         {std::size_t{0}, std::size_t{1}, std::size_t{31}, std::size_t{33}, std::size_t{64}}) {
        for (std::size_t bad : {std::size_t{0}, std::size_t{2}, std::size_t{4}}) {
            std::vector<Share> given = clone_all(shares);
            given[bad].y = SecretBytes::random(size);
            auto result = shamir::combine(given, 3);
            INFO("share index " << bad << " of " << size << " bytes");
            REQUIRE_FALSE(result.ok());
            REQUIRE(result.error().code == Errc::share_length);
            REQUIRE(result.error().message == "share " + std::to_string(bad + 1) + " is " +
                                                  std::to_string(size) +
                                                  " bytes long, expected 32");
        }
    }
    // All shares equally long but not 32 bytes: still refused.
    std::vector<Share> given;
    for (const Share& share : shares) {
        given.push_back(Share{share.x, SecretBytes::copy_of(share.y.view().first(16))});
    }
    auto result = shamir::combine(given, 3);
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.error().code == Errc::share_length);
}

// --- Self-check -----------------------------------------------------------------------------

TEST_CASE("check_split accepts a split and refuses shares that do not give the secret back",
          "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    const std::vector<Share> shares = split_ok(secret, 3, 5);
    REQUIRE(shamir::check_split(secret, shares, 3).ok());

    // One flipped bit in one of the first K shares.
    std::vector<Share> corrupted = clone_all(shares);
    corrupted[1].y[7] ^= 0x01;
    auto flipped = shamir::check_split(secret, corrupted, 3);
    REQUIRE_FALSE(flipped.ok());
    REQUIRE(flipped.error().code == Errc::internal);
    REQUIRE_THAT(flipped.error().message, Catch::Contains("do not reconstruct the secret"));

    // Shares of another secret.
    const SecretBytes other = SecretBytes::random(shamir::k_secret_size);
    auto foreign = shamir::check_split(other, shares, 3);
    REQUIRE_FALSE(foreign.ok());
    REQUIRE(foreign.error().code == Errc::internal);

    // Shares that combine itself refuses.
    std::vector<Share> duplicated = clone_all(shares);
    duplicated[3].x = duplicated[0].x;
    auto invalid = shamir::check_split(secret, duplicated, 3);
    REQUIRE_FALSE(invalid.ok());
    REQUIRE(invalid.error().code == Errc::internal);
    REQUIRE_THAT(invalid.error().message, Catch::Contains("has the same x"));
}

// --- The shares of one split in one buffer ----------------------------------------------------

TEST_CASE("a ShareSet's views, copies and combine agree", "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    auto made = shamir::split(secret, 4, 9);
    REQUIRE(made.ok());
    const shamir::ShareSet& set = *made;
    REQUIRE(set.size() == 9);
    const std::vector<Share> owned = set.to_shares();
    for (std::size_t i = 0; i < set.size(); ++i) {
        const shamir::ShareView view = set[i];
        REQUIRE(view.y.size() == shamir::k_secret_size);
        REQUIRE(owned[i].x == view.x);
        REQUIRE(owned[i].y.equals(view.y));
        // Copies own their memory: not a view into the set.
        REQUIRE(owned[i].y.data() != view.y.data());
        if (i > 0) {
            // Consecutive shares sit in one allocation, one secret size apart.
            REQUIRE(view.y.data() == set[i - 1].y.data() + shamir::k_secret_size);
        }
    }
    auto from_set = shamir::combine(set, 4);
    REQUIRE(from_set.ok());
    REQUIRE(from_set->equals(secret));
    REQUIRE(shamir::check_split(secret, set, 4).ok());
    REQUIRE(reconstructs(std::span(owned).last(4), 4, secret));
}

TEST_CASE("combine over a ShareSet validates like combine over owned shares", "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    auto made = shamir::split(secret, 3, 3);
    REQUIRE(made.ok());
    auto too_many = shamir::combine(*made, 4);
    REQUIRE_FALSE(too_many.ok());
    REQUIRE(too_many.error().code == Errc::too_few_shares);
    auto bad = shamir::combine(*made, 1);
    REQUIRE_FALSE(bad.ok());
    REQUIRE(bad.error().code == Errc::invalid_argument);
    const SecretBytes other = SecretBytes::random(shamir::k_secret_size);
    REQUIRE_FALSE(shamir::check_split(other, *made, 3).ok());
}

TEST_CASE("a moved-from ShareSet is empty and the moved-to one still combines", "[shamir]") {
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    auto made = shamir::split(secret, 2, 5);
    REQUIRE(made.ok());
    shamir::ShareSet moved = std::move(made).value();
    REQUIRE(moved.size() == 5);
    auto rebuilt = shamir::combine(moved, 2);
    REQUIRE(rebuilt.ok());
    REQUIRE(rebuilt->equals(secret));
    shamir::ShareSet target;
    REQUIRE(target.size() == 0);
    target = std::move(moved);
    REQUIRE(target.size() == 5);
    REQUIRE(moved.size() == 0);  // NOLINT(bugprone-use-after-move): the moved-from state is tested
}
