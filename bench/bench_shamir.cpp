// bench_shamir: the cost of constant-time Shamir over GF(2^8).
//
// Three implementations split and combine the same 32-byte secret:
//   library  crypto::shamir::split/combine as shipped: parameter checks, CSPRNG coefficients and
//            shares in one guarded SecretBytes, random x's, and the self-check (a combine) inside
//            split;
//   ct loop  the bare split/combine loops below over the library's constant-time gf_mul/gf_inv
//            (same buffers and CSPRNG, no checks, no self-check);
//   table    the same loops over a naive log/exp-table field, the usual fast but leaky way
//            (secret-dependent table indices and a branch on zero).
// "ct loop" vs "table" is the price of the constant-time arithmetic itself; "library" vs
// "ct loop" is the price of the checks. Times are CPU time per operation (one split into N shares,
// or one combine of K shares), the median of several timed batches.
//
// Build and run: cmake --build <dir> --target bench_shamir && <dir>/bench/bench_shamir
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <span>
#include <utility>
#include <vector>

#include "crypto/random.hpp"
#include "crypto/secret_bytes.hpp"
#include "crypto/shamir.hpp"

namespace {

using ssoescrow::crypto::SecretBytes;
namespace shamir = ssoescrow::crypto::shamir;
using shamir::Share;

// --- The peer: a log/exp-table field (generator 3, AES polynomial) ---------------------------

struct TableField {
    std::array<std::uint8_t, 256> log{};
    std::array<std::uint8_t, 510> exp{};

    TableField() {
        unsigned value = 1;
        for (unsigned i = 0; i < 255; ++i) {
            exp[i] = static_cast<std::uint8_t>(value);
            exp[i + 255] = static_cast<std::uint8_t>(value);
            log[value] = static_cast<std::uint8_t>(i);
            // value *= 3, i.e. value ^ (value * 2) reduced by 0x11b.
            unsigned doubled = value << 1;
            if (doubled & 0x100u)
                doubled ^= 0x11bu;
            value ^= doubled;
        }
    }
    std::uint8_t mul(std::uint8_t a, std::uint8_t b) const {
        if (a == 0 || b == 0)
            return 0;
        return exp[log[a] + log[b]];
    }
    std::uint8_t inv(std::uint8_t a) const { return a == 0 ? 0 : exp[255 - log[a]]; }
};

const TableField g_table;

struct TableOps {
    static std::uint8_t mul(std::uint8_t a, std::uint8_t b) { return g_table.mul(a, b); }
    static std::uint8_t inv(std::uint8_t a) { return g_table.inv(a); }
};

struct ConstantTimeOps {
    static std::uint8_t mul(std::uint8_t a, std::uint8_t b) { return shamir::gf_mul(a, b); }
    static std::uint8_t inv(std::uint8_t a) { return shamir::gf_inv(a); }
};

// --- Bare split/combine loops, generic in the field ------------------------------------------

std::array<std::uint8_t, 255> bare_x_coordinates(unsigned count) {
    std::array<std::uint8_t, 255> xs{};
    for (unsigned i = 0; i < 255; ++i)
        xs[i] = static_cast<std::uint8_t>(i + 1);
    for (unsigned i = 0; i < count && i + 1 < 255; ++i) {
        std::swap(xs[i], xs[i + ssoescrow::crypto::random_uniform(255 - i)]);
    }
    return xs;
}

template <class Ops>
std::vector<Share> bare_split(const SecretBytes& secret, unsigned k, unsigned n) {
    const std::size_t degree = k - 1;
    const SecretBytes coefficients = SecretBytes::random(secret.size() * degree);
    const auto xs = bare_x_coordinates(n);
    std::vector<Share> shares;
    shares.reserve(n);
    for (unsigned s = 0; s < n; ++s) {
        Share share{xs[s], SecretBytes(secret.size())};
        for (std::size_t byte = 0; byte < secret.size(); ++byte) {
            const std::uint8_t* poly = coefficients.data() + byte * degree;
            std::uint8_t y = poly[degree - 1];
            for (std::size_t j = degree - 1; j > 0; --j)
                y = Ops::mul(y, share.x) ^ poly[j - 1];
            share.y[byte] = Ops::mul(y, share.x) ^ secret[byte];
        }
        shares.push_back(std::move(share));
    }
    return shares;
}

template <class Ops>
SecretBytes bare_combine(std::span<const Share> shares) {
    SecretBytes secret(shares[0].y.size());
    for (std::size_t i = 0; i < shares.size(); ++i) {
        std::uint8_t numerator = 1;
        std::uint8_t denominator = 1;
        for (std::size_t j = 0; j < shares.size(); ++j) {
            if (j == i)
                continue;
            numerator = Ops::mul(numerator, shares[j].x);
            denominator = Ops::mul(denominator, shares[j].x ^ shares[i].x);
        }
        const std::uint8_t basis = Ops::mul(numerator, Ops::inv(denominator));
        for (std::size_t byte = 0; byte < secret.size(); ++byte) {
            secret[byte] ^= Ops::mul(shares[i].y[byte], basis);
        }
    }
    return secret;
}

// --- Timing ----------------------------------------------------------------------------------

volatile std::uint8_t g_sink = 0;

// The CPU time of this thread as a std::chrono clock: unlike wall time, it does not count the
// time other processes hold the CPU, so figures stay comparable on a busy machine. It includes
// the system time of the allocations (sodium_malloc maps, locks and guards every SecretBytes).
struct ThreadCpuClock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<ThreadCpuClock>;
    [[maybe_unused]] static constexpr bool is_steady = true;
    static time_point now() noexcept {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
    }
};

// Median over batches of the CPU time per call, in microseconds.
template <class F>
double time_per_call_us(F&& call) {
    using Clock = ThreadCpuClock;
    // Calibrate a batch to ~20 ms.
    unsigned batch = 1;
    for (;;) {
        const auto start = Clock::now();
        for (unsigned i = 0; i < batch; ++i)
            call();
        const auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        if (elapsed > 0.02 || batch >= (1u << 20))
            break;
        batch *= 2;
    }
    std::vector<double> samples;
    for (int round = 0; round < 7; ++round) {
        const auto start = Clock::now();
        for (unsigned i = 0; i < batch; ++i)
            call();
        const auto elapsed = std::chrono::duration<double, std::micro>(Clock::now() - start);
        samples.push_back(elapsed.count() / batch);
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

bool check_all_agree(const SecretBytes& secret, unsigned k, unsigned n) {
    auto library = shamir::split(secret, k, n);
    if (!library.ok())
        return false;
    const std::vector<Share> lib_owned = library->to_shares();
    const std::span<const Share> lib_shares(lib_owned);
    const auto ct = bare_split<ConstantTimeOps>(secret, k, n);
    const auto table = bare_split<TableOps>(secret, k, n);
    // Each implementation reads the others' shares too: the fields must be the same.
    return bare_combine<TableOps>(lib_shares.first(k)).equals(secret) &&
           bare_combine<ConstantTimeOps>(std::span(table).first(k)).equals(secret) &&
           bare_combine<TableOps>(std::span(ct).first(k)).equals(secret) &&
           shamir::combine(table, k)->equals(secret) &&
           shamir::combine(*library, k)->equals(secret);
}

}  // namespace

int main() {
    if (!ssoescrow::crypto::initialize()) {
        std::fprintf(stderr, "bench_shamir: libsodium failed to initialise\n");
        return 1;
    }
    const SecretBytes secret = SecretBytes::random(shamir::k_secret_size);
    const std::array<std::pair<unsigned, unsigned>, 4> configs{
        {{2, 3}, {3, 5}, {5, 9}, {128, 255}}};

    std::printf("Shamir over GF(2^8), 32-byte secret; CPU microseconds per operation (median)\n\n");
    std::printf("%-9s %-8s %12s %12s %12s %10s %10s\n", "K-of-N", "op", "library", "ct loop",
                "table", "ct/table", "lib/table");
    for (const auto& [k, n] : configs) {
        if (!check_all_agree(secret, k, n)) {
            std::fprintf(stderr, "bench_shamir: implementations disagree for %u-of-%u\n", k, n);
            return 1;
        }
        const double split_lib = time_per_call_us([&, k = k, n = n] {
            auto shares = shamir::split(secret, k, n);
            g_sink = g_sink ^ (*shares)[0].y[0];
        });
        const double split_ct = time_per_call_us([&, k = k, n = n] {
            g_sink = g_sink ^ bare_split<ConstantTimeOps>(secret, k, n)[0].y[0];
        });
        const double split_table = time_per_call_us(
            [&, k = k, n = n] { g_sink = g_sink ^ bare_split<TableOps>(secret, k, n)[0].y[0]; });

        // Combine is timed on shares that each own their y, as a restore receives them.
        const std::vector<Share> owned = shamir::split(secret, k, n)->to_shares();
        const std::span<const Share> shares(owned);
        const auto first_k = shares.first(k);
        const double combine_lib = time_per_call_us([&, k = k] {
            auto result = shamir::combine(shares, k);
            g_sink = g_sink ^ (*result)[0];
        });
        const double combine_ct =
            time_per_call_us([&] { g_sink = g_sink ^ bare_combine<ConstantTimeOps>(first_k)[0]; });
        const double combine_table =
            time_per_call_us([&] { g_sink = g_sink ^ bare_combine<TableOps>(first_k)[0]; });

        char label[16];
        std::snprintf(label, sizeof label, "%u-of-%u", k, n);
        std::printf("%-9s %-8s %12.2f %12.2f %12.2f %9.1fx %9.1fx\n", label, "split", split_lib,
                    split_ct, split_table, split_ct / split_table, split_lib / split_table);
        std::printf("%-9s %-8s %12.2f %12.2f %12.2f %9.1fx %9.1fx\n", label, "combine", combine_lib,
                    combine_ct, combine_table, combine_ct / combine_table,
                    combine_lib / combine_table);
    }
    std::printf(
        "\nlibrary = checked API (split includes its self-check combine); ct loop = bare\n"
        "loops over the constant-time field; table = same loops over log/exp tables\n");
    return 0;
}
