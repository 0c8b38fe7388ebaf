// ct_check: the constant-time regression test (the "ctgrind" technique), run under Valgrind's
// memcheck by run_ct_check.sh.
//
// Every secret input is marked undefined with VALGRIND_MAKE_MEM_UNDEFINED. Memcheck propagates
// undefinedness through arithmetic and reports any conditional jump, and any memory address,
// computed from an undefined value. So the GF(256) arithmetic, Shamir split and combine and the
// constant-time comparisons run here without a single memcheck error only if no branch and no
// table index depends on a secret. Results are marked defined again (declassified) only where
// this program itself legitimately looks at them: comparing with the expected output.
//
// The CSPRNG is replaced (randombytes_set_implementation) by the system one whose output is marked
// undefined, so split's random polynomial coefficients are secrets too. The one exception is the
// 64-byte blocks split draws its x-coordinates from (public: they are written in the envelope);
// the thresholds used here keep the coefficient buffers (32 * (K - 1) bytes) of other sizes.
//
//   ct_check                     everything above; exit 0, no memcheck error expected
//   ct_check --negative-control  a deliberately leaky table-based multiplication (a branch on
//                                zero and a table index) of a secret: memcheck MUST report it
//                                (run_ct_check.sh asserts this, proving the check works)
#include <sodium.h>
#include <valgrind/memcheck.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "crypto/secret_bytes.hpp"
#include "crypto/shamir.hpp"

namespace {

using ssoescrow::ByteView;
using ssoescrow::crypto::SecretBytes;
namespace shamir = ssoescrow::crypto::shamir;

// Split draws its public x-coordinates from CSPRNG blocks of this size.
constexpr std::size_t k_public_block_size = 64;
// Off while libsodium initialises: its guard-page canary (compared on every sodium_free) is
// libsodium's own business, not the code under test.
bool g_rng_output_is_secret = false;

const char* secret_rng_name() {
    return "ct_check";
}
std::uint32_t secret_rng_random() {
    return randombytes_sysrandom_implementation.random();
}
void secret_rng_stir() {
    randombytes_sysrandom_implementation.stir();
}
void secret_rng_buf(void* buffer, std::size_t size) {
    randombytes_sysrandom_implementation.buf(buffer, size);
    if (g_rng_output_is_secret && size != k_public_block_size)
        (void)VALGRIND_MAKE_MEM_UNDEFINED(buffer, size);
}
int secret_rng_close() {
    return randombytes_sysrandom_implementation.close();
}
randombytes_implementation g_secret_rng = {secret_rng_name, secret_rng_random, secret_rng_stir,
                                           nullptr,         secret_rng_buf,    secret_rng_close};

void mark_secret(const void* data, std::size_t size) {
    (void)VALGRIND_MAKE_MEM_UNDEFINED(data, size);
}
void declassify(const void* data, std::size_t size) {
    (void)VALGRIND_MAKE_MEM_DEFINED(data, size);
}

int g_failures = 0;

void expect(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "ct_check: FAILED: %s\n", what);
        ++g_failures;
    }
}

// A secret with known contents: the expected values are computed before it is marked.
SecretBytes known_secret(std::uint8_t seed) {
    SecretBytes secret(shamir::k_secret_size);
    for (std::size_t i = 0; i < secret.size(); ++i)
        secret[i] = static_cast<std::uint8_t>(seed + 37 * i);
    return secret;
}

void check_field_arithmetic() {
    // Products of secrets, and the inverse of a secret, over a spread of values including 0.
    std::array<std::uint8_t, 64> a{};
    std::array<std::uint8_t, 64> b{};
    std::array<std::uint8_t, 64> expected_product{};
    std::array<std::uint8_t, 64> expected_inverse{};
    for (std::size_t i = 0; i < a.size(); ++i) {
        a[i] = static_cast<std::uint8_t>(i * 4);
        b[i] = static_cast<std::uint8_t>(255 - i * 3);
        expected_product[i] = shamir::gf_mul(a[i], b[i]);
        expected_inverse[i] = shamir::gf_inv(a[i]);
    }
    mark_secret(a.data(), a.size());
    mark_secret(b.data(), b.size());
    std::array<std::uint8_t, 64> product{};
    std::array<std::uint8_t, 64> inverse{};
    for (std::size_t i = 0; i < a.size(); ++i) {
        product[i] = shamir::gf_mul(a[i], b[i]);
        inverse[i] = shamir::gf_inv(a[i]);
    }
    declassify(product.data(), product.size());
    declassify(inverse.data(), inverse.size());
    expect(product == expected_product, "gf_mul of secrets gives the same products");
    expect(inverse == expected_inverse, "gf_inv of secrets gives the same inverses");
}

void check_split_and_combine(unsigned k, unsigned n) {
    const SecretBytes secret = known_secret(static_cast<std::uint8_t>(k));
    const SecretBytes expected = secret.clone();
    mark_secret(secret.data(), secret.size());

    // split runs its own self-check (a combine and a constant-time compare) inside.
    auto made = shamir::split(secret, k, n);
    expect(made.ok(), "split succeeds");
    if (!made.ok())
        return;

    // Combine from the set itself, and from shares that each own their y (as a restore gets
    // them), with the last K shares: other x's than the self-check used.
    auto from_set = shamir::combine(*made, k);
    std::vector<shamir::Share> owned = made->to_shares();
    auto from_owned = shamir::combine(std::span<const shamir::Share>(owned).last(k), k);
    expect(from_set.ok() && from_owned.ok(), "combine succeeds");
    if (!from_set.ok() || !from_owned.ok())
        return;
    declassify(from_set->data(), from_set->size());
    declassify(from_owned->data(), from_owned->size());
    expect(std::memcmp(from_set->data(), expected.data(), expected.size()) == 0,
           "combine of the set gives the secret back");
    expect(std::memcmp(from_owned->data(), expected.data(), expected.size()) == 0,
           "combine of owned shares gives the secret back");
}

void check_comparisons() {
    const SecretBytes a = known_secret(1);
    const SecretBytes same = known_secret(1);
    SecretBytes different = known_secret(1);
    different[31] ^= 0x80;
    mark_secret(a.data(), a.size());
    mark_secret(same.data(), same.size());
    mark_secret(different.data(), different.size());
    expect(a.equals(same), "SecretBytes::equals: equal secrets");
    expect(!a.equals(different), "SecretBytes::equals: different secrets");
    expect(a.equals(same.view()), "SecretBytes::equals(ByteView)");
    expect(ssoescrow::crypto::constant_time_equal(a.view(), same.view()),
           "constant_time_equal: equal");
    expect(!ssoescrow::crypto::constant_time_equal(a.view(), different.view()),
           "constant_time_equal: different");

    // An HMAC tag checked against a key and tag that are secret.
    const SecretBytes key = known_secret(9);
    const std::array<std::uint8_t, 5> message{'h', 'e', 'l', 'l', 'o'};
    ssoescrow::crypto::Digest tag = ssoescrow::crypto::hmac_sha256(key, message);
    mark_secret(key.data(), key.size());
    mark_secret(tag.data(), tag.size());
    expect(ssoescrow::crypto::hmac_sha256_verify(key, message, tag), "hmac_sha256_verify: good");
    tag[0] ^= 1;
    expect(!ssoescrow::crypto::hmac_sha256_verify(key, message, tag), "hmac_sha256_verify: bad");
}

// The usual fast but leaky field: log/exp tables and a branch on zero.
std::uint8_t leaky_mul(std::uint8_t a, std::uint8_t b) {
    static std::array<std::uint8_t, 256> log{};
    static std::array<std::uint8_t, 510> exp{};
    if (exp[0] == 0) {
        unsigned value = 1;
        for (unsigned i = 0; i < 255; ++i) {
            exp[i] = exp[i + 255] = static_cast<std::uint8_t>(value);
            log[value] = static_cast<std::uint8_t>(i);
            unsigned doubled = value << 1;
            if ((doubled & 0x100u) != 0)
                doubled ^= 0x11bu;
            value ^= doubled;
        }
    }
    if (a == 0 || b == 0)
        return 0;
    return exp[log[a] + log[b]];
}

int negative_control() {
    std::array<std::uint8_t, 2> operands{0x57, 0x83};
    mark_secret(operands.data(), operands.size());
    std::uint8_t product = leaky_mul(operands[0], operands[1]);
    declassify(&product, 1);
    std::printf("ct_check: negative control ran (product %u); memcheck must have reported it\n",
                product);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (randombytes_set_implementation(&g_secret_rng) != 0 || !ssoescrow::crypto::initialize()) {
        std::fprintf(stderr, "ct_check: libsodium failed to initialise\n");
        return 2;
    }
    g_rng_output_is_secret = true;
    if (argc == 2 && std::string_view(argv[1]) == "--negative-control")
        return negative_control();
    if (argc != 1) {
        std::fprintf(stderr, "usage: ct_check [--negative-control]\n");
        return 2;
    }
    if (!RUNNING_ON_VALGRIND) {
        std::fprintf(stderr, "ct_check: not running under valgrind: nothing is checked\n");
        return 2;
    }
    check_field_arithmetic();
    check_split_and_combine(2, 3);
    check_split_and_combine(4, 7);
    check_split_and_combine(128, 255);
    check_comparisons();
    if (g_failures != 0)
        return 1;
    std::printf("ct_check: field arithmetic, split, combine and comparisons checked\n");
    return 0;
}
