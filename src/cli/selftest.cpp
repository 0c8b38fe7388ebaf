// ssoescrow selftest [--threshold K] [--shares N]
//
// Exercises the crypto stack on this machine without touching any file: a fresh 32-byte key is
// split K-of-N, every share is wrapped to a fresh custodian key pair and unwrapped again, every
// K-subset of shares is combined and compared with the key (constant-time), K-1 shares are
// refused, and a payload is sealed and opened under a subkey of the key. Useful on a new backup
// host or after a library upgrade; prints one line per check, no secret.
#include <iostream>
#include <numeric>
#include <vector>

#include "crypto/aead.hpp"
#include "crypto/kdf.hpp"
#include "crypto/random.hpp"
#include "crypto/shamir.hpp"
#include "crypto/x25519.hpp"
#include "src/cli/command.hpp"

namespace ssoescrow::cli {
namespace {

using crypto::SecretBytes;

struct SelftestOptions {
    unsigned threshold = 2;
    unsigned shares = 3;
};

// Calls `visit` with every K-subset of {0..n-1} (as index lists).
template <class Visit>
void for_each_subset(unsigned n, unsigned k, Visit visit) {
    std::vector<unsigned> pick(k);
    std::iota(pick.begin(), pick.end(), 0u);
    for (;;) {
        visit(pick);
        int i = static_cast<int>(k) - 1;
        while (i >= 0 && pick[static_cast<unsigned>(i)] == n - k + static_cast<unsigned>(i))
            --i;
        if (i < 0)
            return;
        ++pick[static_cast<unsigned>(i)];
        for (unsigned j = static_cast<unsigned>(i) + 1; j < k; ++j)
            pick[j] = pick[j - 1] + 1;
    }
}

Result<int> run_selftest(const SelftestOptions& options) {
    if (options.shares > 12) {
        return make_error(Errc::usage, "--shares above 12 makes the exhaustive subset check slow",
                          "the unit tests cover up to 255 shares");
    }
    SecretBytes file_key = SecretBytes::random(crypto::shamir::k_secret_size);
    TRY_ASSIGN(const auto split,
               crypto::shamir::split(file_key, options.threshold, options.shares));
    const std::vector<crypto::shamir::Share> shares = split.to_shares();
    std::cout << "split a 256-bit key " << options.threshold << "-of-" << options.shares
              << ": ok\n";

    std::vector<crypto::shamir::Share> unwrapped;
    for (const auto& share : shares) {
        crypto::KeyPair custodian = crypto::generate_keypair();
        Bytes context = to_bytes("ssoescrow selftest share " + std::to_string(share.x));
        TRY_ASSIGN(Bytes wrapped,
                   crypto::wrap_to_recipient(custodian.public_key, share.y.view(), context));
        TRY_ASSIGN(SecretBytes opened,
                   crypto::unwrap_with_identity(custodian.secret_key, custodian.public_key, wrapped,
                                                context));
        if (!opened.equals(share.y)) {
            return make_error(Errc::internal, "a wrapped share did not unwrap to itself");
        }
        unwrapped.push_back({share.x, std::move(opened)});
    }
    std::cout << "wrapped and unwrapped " << shares.size() << " shares to fresh X25519 keys: ok\n";

    unsigned subsets = 0;
    Status combined_all;
    for_each_subset(options.shares, options.threshold, [&](const std::vector<unsigned>& pick) {
        if (!combined_all)
            return;
        std::vector<crypto::shamir::Share> chosen;
        for (unsigned index : pick)
            chosen.push_back({unwrapped[index].x, unwrapped[index].y.clone()});
        auto key = crypto::shamir::combine(chosen, options.threshold);
        if (!key || !key->equals(file_key)) {
            combined_all = make_error(Errc::internal, "a subset of shares did not give the key");
        }
        ++subsets;
    });
    TRY(combined_all);
    std::cout << "combined all " << subsets << " subsets of " << options.threshold
              << " shares: ok\n";

    std::vector<crypto::shamir::Share> too_few;
    for (unsigned i = 0; i + 1 < options.threshold; ++i) {
        too_few.push_back({unwrapped[i].x, unwrapped[i].y.clone()});
    }
    auto refused = crypto::shamir::combine(too_few, options.threshold);
    if (refused || refused.error().code != Errc::too_few_shares) {
        return make_error(Errc::internal, "combining K-1 shares was not refused");
    }
    std::cout << "refused " << options.threshold - 1 << " shares: ok\n";

    SecretBytes payload_key = crypto::derive_subkey(file_key, "payload", crypto::k_aead_key_size);
    Bytes nonce = crypto::random_bytes(crypto::k_aead_nonce_size);
    Bytes header = to_bytes("ssoescrow selftest header");
    SecretBytes plaintext = SecretBytes::random(4096);
    TRY_ASSIGN(Bytes sealed, crypto::aead_seal(payload_key, nonce, plaintext.view(), header));
    TRY_ASSIGN(SecretBytes reopened, crypto::aead_open(payload_key, nonce, sealed, header));
    sealed[0] ^= 1;
    if (!reopened.equals(plaintext) || crypto::aead_open(payload_key, nonce, sealed, header)) {
        return make_error(Errc::internal, "XChaCha20-Poly1305 round trip failed");
    }
    std::cout << "sealed, opened and rejected a tampered payload: ok\n";
    std::cout << "selftest passed\n";
    return 0;
}

}  // namespace

void add_selftest_command(CLI::App& app, Command& selected) {
    auto options = std::make_shared<SelftestOptions>();
    CLI::App* selftest = app.add_subcommand(
        "selftest", "Check the crypto stack on this machine (split, wrap, combine, AEAD)");
    selftest->add_option("--threshold", options->threshold, "K (default 2)")
        ->check(CLI::Range(2, 12));
    selftest->add_option("--shares", options->shares, "N (default 3)")->check(CLI::Range(2, 12));
    selftest->footer("Exit status: 0 every check passed; 1 a check failed; 2 usage.");
    selftest->callback(
        [options, &selected] { selected.run = [options] { return run_selftest(*options); }; });
}

}  // namespace ssoescrow::cli
