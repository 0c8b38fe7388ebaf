// The custodian passphrase floor (src/passphrase.hpp) and the KDF floor for identity files
// (crypto/kdf.hpp, crypto/custodian_key.hpp).
#include <catch2/catch.hpp>

#include "crypto/custodian_key.hpp"
#include "src/passphrase.hpp"

using namespace ssoescrow;
using crypto::SecretBytes;

namespace {

SecretBytes secret(std::string_view text) {
    return SecretBytes::copy_of(as_bytes(text));
}

Status judge(std::string_view text) {
    return check_passphrase_strength(secret(text), "alice.key");
}

}  // namespace

TEST_CASE("passphrases below the floor are refused, naming the rule, never the passphrase",
          "[passphrase]") {
    struct Case {
        std::string_view passphrase;
        std::string_view rule;
    };
    for (const Case& c : std::initializer_list<Case>{
             {"tiny1", "too short"},
             {"pass-alice", "too short: 10 characters"},
             {"aaaaaaaaaaaaaaaaaaaaaaaa", "too predictable"},
             {"abcdefghijklmnopqrstuvwxyz", "too predictable"},
             {"123456789012345678", "too predictable"},
             {"9876543210987654", "too predictable"},
             {"qazqazqazqazqazqaz", "too predictable"},
             {"Password1234!", "common password"},
             {"qwerty-2026-2027", "common password"},
             {"0718462395017", "too predictable"},
         }) {
        INFO(c.passphrase);
        Status result = judge(c.passphrase);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == Errc::invalid_argument);
        CHECK_THAT(result.error().message, Catch::Contains(std::string(c.rule)));
        CHECK_THAT(result.error().message, Catch::Contains("alice.key"));
        CHECK_THAT(result.error().message, !Catch::Contains(std::string(c.passphrase)));
        CHECK_FALSE(result.error().hint.empty());
    }
}

TEST_CASE("ordinary good passphrases pass the floor", "[passphrase]") {
    for (std::string_view good :
         {"correct horse battery staple", "pass-alice-2026-escrow", "alice passphrase",
          "Tr0ub4dor&3xyz", "zx8#Lq2!vN0r", "sjöstjärna under granen", "8264-7195-3048-5517"}) {
        INFO(good);
        Status result = judge(good);
        CHECK(result.ok());
    }
    const PassphraseStrength s = estimate_passphrase(secret("aaaabbbbcccc"));
    CHECK(s.characters == 12);
    CHECK(s.effective == 1);  // a, b, c are neighbours: one run
    CHECK(estimate_passphrase(secret("é")).characters == 1);
}

TEST_CASE("identity files are never sealed below the KDF floor outside tests", "[keys]") {
    using crypto::KdfParams;
    CHECK(crypto::below_kdf_floor(KdfParams::minimum_for_tests()));
    CHECK(crypto::below_kdf_floor(KdfParams{2, 32u << 20}));
    CHECK(crypto::below_kdf_floor(KdfParams{1, 64u << 20}));
    CHECK_FALSE(crypto::below_kdf_floor(KdfParams::interactive()));
    CHECK_FALSE(crypto::below_kdf_floor(KdfParams::moderate()));
    CHECK(crypto::describe_kdf(KdfParams::interactive()) == "2 passes, 64 MiB");
    CHECK(crypto::describe_kdf(KdfParams::minimum_for_tests()) == "1 pass, 8 KiB");

    const crypto::Identity identity = crypto::generate_identity("weak");
    const SecretBytes passphrase = secret("correct horse battery staple");
    auto refused = crypto::seal_identity(identity, passphrase, KdfParams::minimum_for_tests());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::invalid_argument);
    CHECK_THAT(refused.error().message, Catch::Contains("below the floor"));

    // Tests may go below it, explicitly; such a file opens and says what it was sealed with.
    auto weak = crypto::seal_identity(identity, passphrase, KdfParams::minimum_for_tests(),
                                      crypto::KdfFloor::below_floor_for_tests);
    REQUIRE(weak.ok());
    auto opened = crypto::open_identity(*weak, passphrase, "weak.key");
    REQUIRE(opened.ok());
    CHECK(opened->kdf == KdfParams::minimum_for_tests());
    CHECK(crypto::below_kdf_floor(opened->kdf));
}
