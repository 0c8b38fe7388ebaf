// X25519 and share wrapping: RFC 7748 vectors, every Wycheproof x25519 vector through our
// wrapper, and tamper tests for wrap_to_recipient / unwrap_with_identity.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"
#include "crypto/kdf.hpp"
#include "crypto/secret_bytes.hpp"
#include "crypto/x25519.hpp"

using namespace ssoescrow;
using namespace ssoescrow::crypto;

namespace {

Bytes hex(std::string_view text) {
    auto bytes = from_hex(text, "test vector");
    REQUIRE(bytes.ok());
    return std::move(bytes).value();
}

SecretBytes secret_hex(std::string_view text) {
    return SecretBytes::copy_of(hex(text));
}

PublicKey public_hex(std::string_view text) {
    Bytes bytes = hex(text);
    REQUIRE(bytes.size() == k_x25519_key_size);
    PublicKey key{};
    std::copy(bytes.begin(), bytes.end(), key.begin());
    return key;
}

template <class T>
std::string describe(const Result<T>& result) {
    return result.ok() ? std::string("ok") : "error: " + result.error().message;
}

nlohmann::json load_wycheproof(const std::string& name) {
    const std::string path = std::string(SSOESCROW_TESTS_DIR) + "/vectors/wycheproof/" + name;
    std::ifstream in(path);
    INFO(path);
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
}

bool has_flag(const nlohmann::json& test, const std::string& flag) {
    const auto& flags = test.at("flags");
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

bool all_zero(ByteView data) {
    return std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

TEST_CASE("x25519 passes every Wycheproof x25519 vector through our wrapper", "[x25519]") {
    const nlohmann::json doc = load_wycheproof("x25519_test.json");
    const std::size_t declared = doc.at("numberOfTests").get<std::size_t>();
    std::size_t run = 0;
    std::size_t refused_low_order = 0;
    std::size_t expected_low_order = 0;
    std::size_t acceptable_computed = 0;

    for (const auto& group : doc.at("testGroups")) {
        REQUIRE(group.at("type") == "XdhComp");
        REQUIRE(group.at("curve") == "curve25519");
        for (const auto& test : group.at("tests")) {
            ++run;
            const int id = test.at("tcId").get<int>();
            const std::string result = test.at("result").get<std::string>();
            INFO("tcId " << id << " (" << test.at("comment").get<std::string>() << ", " << result
                         << ")");
            const SecretBytes scalar = secret_hex(test.at("private").get<std::string>());
            const Bytes u = hex(test.at("public").get<std::string>());
            const Bytes expected = hex(test.at("shared").get<std::string>());
            auto shared = x25519(scalar, u);

            if (all_zero(expected)) {
                // Documented behaviour: a low-order peer key is refused, never a zero secret.
                ++expected_low_order;
                REQUIRE(has_flag(test, "ZeroSharedSecret"));
                REQUIRE_FALSE(shared.ok());
                CHECK(shared.error().code == Errc::auth_failed);
                CHECK(shared.error().message == "peer public key is of low order");
                ++refused_low_order;
                continue;
            }
            if (result == "invalid") {
                CHECK_FALSE(shared.ok());
                continue;
            }
            // valid, and acceptable with a non-zero result (twist points, non-canonical u,
            // u with the top bit set): we follow RFC 7748 (mask bit 255, reduce mod p), so the
            // result must be the expected one.
            INFO(describe(shared));
            REQUIRE(shared.ok());
            CHECK(shared->equals(expected));
            if (result == "acceptable")
                ++acceptable_computed;
        }
    }
    REQUIRE(declared == 518);
    REQUIRE(run == declared);
    REQUIRE(expected_low_order > 0);
    REQUIRE(refused_low_order == expected_low_order);
    CHECK(acceptable_computed > 0);
}

TEST_CASE("x25519 matches the RFC 7748 test vectors", "[x25519]") {
    const std::string path = std::string(SSOESCROW_TESTS_DIR) + "/vectors/rfc7748.txt";
    std::ifstream in(path);
    INFO(path);
    REQUIRE(in.good());

    std::size_t singles = 0, iterations = 0, dhs = 0;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        INFO(line);
        std::istringstream fields(line);
        std::string kind;
        fields >> kind;
        if (kind == "single") {
            std::string scalar, u, expected;
            REQUIRE(fields >> scalar >> u >> expected);
            auto out = x25519(secret_hex(scalar), hex(u));
            REQUIRE(out.ok());
            CHECK(out->equals(hex(expected)));
            ++singles;
        } else if (kind == "iterate") {
            std::size_t count = 0;
            std::string expected;
            REQUIRE(fields >> count >> expected);
            Bytes base(32, 0);
            base[0] = 9;
            SecretBytes k = SecretBytes::copy_of(base);
            Bytes u = base;
            for (std::size_t i = 0; i < count; ++i) {
                auto next = x25519(k, u);
                REQUIRE(next.ok());
                u.assign(k.view().begin(), k.view().end());
                k = std::move(next).value();
            }
            CHECK(k.equals(hex(expected)));
            ++iterations;
        } else if (kind == "dh") {
            std::string a_secret, a_public, b_secret, b_public, shared;
            REQUIRE(fields >> a_secret >> a_public >> b_secret >> b_public >> shared);
            auto alice_public = public_key_of(secret_hex(a_secret));
            auto bob_public = public_key_of(secret_hex(b_secret));
            REQUIRE(alice_public.ok());
            REQUIRE(bob_public.ok());
            CHECK(to_hex(*alice_public) == a_public);
            CHECK(to_hex(*bob_public) == b_public);
            auto alice_shared = x25519(secret_hex(a_secret), hex(b_public));
            auto bob_shared = x25519(secret_hex(b_secret), hex(a_public));
            REQUIRE(alice_shared.ok());
            REQUIRE(bob_shared.ok());
            CHECK(alice_shared->equals(hex(shared)));
            CHECK(bob_shared->equals(hex(shared)));
            ++dhs;
        } else {
            FAIL("unknown record kind in rfc7748.txt: " << kind);
        }
    }
    // A file that stops parsing fails here rather than passing silently.
    CHECK(singles == 2);
    CHECK(iterations == 2);
    CHECK(dhs == 1);
}

TEST_CASE("x25519 RFC 7748 one million iterations", "[.][slow]") {
    Bytes base(32, 0);
    base[0] = 9;
    SecretBytes k = SecretBytes::copy_of(base);
    Bytes u = base;
    for (int i = 0; i < 1000000; ++i) {
        auto next = x25519(k, u);
        REQUIRE(next.ok());
        u.assign(k.view().begin(), k.view().end());
        k = std::move(next).value();
    }
    CHECK(k.equals(hex("7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424")));
}

TEST_CASE("x25519 key pairs are fresh and consistent", "[x25519]") {
    KeyPair a = generate_keypair();
    KeyPair b = generate_keypair();
    REQUIRE(a.secret_key.size() == k_x25519_key_size);
    CHECK_FALSE(a.secret_key.equals(b.secret_key));
    CHECK(a.public_key != b.public_key);

    auto a_public = public_key_of(a.secret_key);
    REQUIRE(a_public.ok());
    CHECK(*a_public == a.public_key);

    auto ab = x25519(a.secret_key, b.public_key);
    auto ba = x25519(b.secret_key, a.public_key);
    REQUIRE(ab.ok());
    REQUIRE(ba.ok());
    CHECK(ab->equals(*ba));
}

TEST_CASE("x25519 refuses keys of the wrong size", "[x25519]") {
    KeyPair peer = generate_keypair();
    for (std::size_t size : {0, 31, 33, 64}) {
        INFO("secret size " << size);
        auto pub = public_key_of(SecretBytes::random(size));
        REQUIRE_FALSE(pub.ok());
        CHECK(pub.error().code == Errc::invalid_argument);
        auto shared = x25519(SecretBytes::random(size), peer.public_key);
        REQUIRE_FALSE(shared.ok());
        CHECK(shared.error().code == Errc::invalid_argument);
    }
    KeyPair self = generate_keypair();
    for (std::size_t size : {0, 31, 33, 64}) {
        INFO("public size " << size);
        Bytes u(size, 0x42);
        auto shared = x25519(self.secret_key, u);
        REQUIRE_FALSE(shared.ok());
        CHECK(shared.error().code == Errc::parse);
    }
}

TEST_CASE("x25519 refuses the low-order points for any scalar", "[x25519]") {
    // u = 0, 1, the two points of order 8, p - 1, p, p + 1 (the last two non-canonical), and the
    // same with bit 255 set.
    const std::vector<std::string> low_order = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "0100000000000000000000000000000000000000000000000000000000000080",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    };
    for (int round = 0; round < 4; ++round) {
        KeyPair self = generate_keypair();
        for (const auto& point : low_order) {
            INFO("u = " << point);
            auto shared = x25519(self.secret_key, hex(point));
            REQUIRE_FALSE(shared.ok());
            CHECK(shared.error().code == Errc::auth_failed);
            CHECK_FALSE(shared.error().hint.empty());
        }
    }
}

TEST_CASE("wrap_to_recipient round-trips secrets of any length", "[x25519]") {
    KeyPair recipient = generate_keypair();
    const Bytes context = to_bytes("backup 7f3a x=17 custodian alice");
    for (std::size_t size : {0, 1, 16, 32, 33, 1000}) {
        INFO("secret size " << size);
        SecretBytes secret = SecretBytes::random(size);
        auto wrapped = wrap_to_recipient(recipient.public_key, secret.view(), context);
        REQUIRE(wrapped.ok());
        CHECK(wrapped->size() == size + k_wrap_overhead);
        auto opened =
            unwrap_with_identity(recipient.secret_key, recipient.public_key, *wrapped, context);
        INFO(describe(opened));
        REQUIRE(opened.ok());
        CHECK(opened->equals(secret));
    }
}

TEST_CASE("wrap_to_recipient uses a fresh ephemeral key and nonce every time", "[x25519]") {
    KeyPair recipient = generate_keypair();
    const SecretBytes secret = SecretBytes::random(32);
    auto first = wrap_to_recipient(recipient.public_key, secret.view(), as_bytes("ctx"));
    auto second = wrap_to_recipient(recipient.public_key, secret.view(), as_bytes("ctx"));
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(!std::equal(first->begin(), first->begin() + 32, second->begin()));
    CHECK(!std::equal(first->begin() + 32, first->begin() + 56, second->begin() + 32));
    CHECK(*first != *second);
    // The ephemeral public key is never the recipient's own key.
    CHECK(!std::equal(first->begin(), first->begin() + 32, recipient.public_key.begin()));
}

TEST_CASE("wrapped layout is E || nonce || AEAD(HKDF(X25519(e, R), E || R, info), secret, ctx)",
          "[x25519]") {
    // Recomputes the construction documented in x25519.hpp step by step from the wrapped bytes,
    // so the wire layout cannot drift from the specification (FORMAT.md relies on it).
    KeyPair recipient = generate_keypair();
    const SecretBytes secret = SecretBytes::random(32);
    const Bytes context = to_bytes("layout check");
    auto wrapped = wrap_to_recipient(recipient.public_key, secret.view(), context);
    REQUIRE(wrapped.ok());
    const ByteView all(*wrapped);
    const ByteView ephemeral = all.subspan(0, 32);
    const ByteView nonce = all.subspan(32, 24);
    const ByteView sealed = all.subspan(56);

    auto shared = x25519(recipient.secret_key, ephemeral);
    REQUIRE(shared.ok());
    Bytes salt(ephemeral.begin(), ephemeral.end());
    salt.insert(salt.end(), recipient.public_key.begin(), recipient.public_key.end());
    auto key = hkdf_sha256(shared->view(), salt, as_bytes("ssoescrow/1 share-wrap"), 32);
    REQUIRE(key.ok());
    auto opened = aead_open(*key, nonce, sealed, context);
    REQUIRE(opened.ok());
    CHECK(opened->equals(secret));

    // And the salt really includes R: without it the key differs.
    auto key_without_r =
        hkdf_sha256(shared->view(), ephemeral, as_bytes("ssoescrow/1 share-wrap"), 32);
    REQUIRE(key_without_r.ok());
    CHECK_FALSE(aead_open(*key_without_r, nonce, sealed, context).ok());
}

TEST_CASE("unwrap_with_identity rejects every single-bit change of the wrapped bytes", "[x25519]") {
    KeyPair recipient = generate_keypair();
    const SecretBytes secret = SecretBytes::random(32);
    const Bytes context = to_bytes("backup 1 x=3");
    auto wrapped = wrap_to_recipient(recipient.public_key, secret.view(), context);
    REQUIRE(wrapped.ok());
    REQUIRE(
        unwrap_with_identity(recipient.secret_key, recipient.public_key, *wrapped, context).ok());

    std::size_t refused = 0;
    for (std::size_t bit = 0; bit < wrapped->size() * 8; ++bit) {
        Bytes tampered = *wrapped;
        tampered[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        auto opened =
            unwrap_with_identity(recipient.secret_key, recipient.public_key, tampered, context);
        if (!opened.ok() && opened.error().code == Errc::auth_failed)
            ++refused;
    }
    // Flipping bit 255 of E does not change the point (RFC 7748 masks it), but E is also in
    // the HKDF salt, so even that flip must fail.
    CHECK(refused == wrapped->size() * 8);
}

TEST_CASE("unwrap_with_identity rejects truncated and extended input", "[x25519]") {
    KeyPair recipient = generate_keypair();
    const SecretBytes secret = SecretBytes::random(32);
    auto wrapped = wrap_to_recipient(recipient.public_key, secret.view(), as_bytes("c"));
    REQUIRE(wrapped.ok());
    for (std::size_t size = 0; size < wrapped->size(); ++size) {
        INFO("truncated to " << size);
        Bytes truncated(wrapped->begin(), wrapped->begin() + static_cast<std::ptrdiff_t>(size));
        auto opened = unwrap_with_identity(recipient.secret_key, recipient.public_key, truncated,
                                           as_bytes("c"));
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == (size < k_wrap_overhead ? Errc::parse : Errc::auth_failed));
    }
    Bytes extended = *wrapped;
    extended.push_back(0);
    auto opened =
        unwrap_with_identity(recipient.secret_key, recipient.public_key, extended, as_bytes("c"));
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code == Errc::auth_failed);
}

TEST_CASE("unwrap_with_identity rejects another context or identity", "[x25519]") {
    KeyPair recipient = generate_keypair();
    KeyPair other = generate_keypair();
    const SecretBytes secret = SecretBytes::random(32);
    const Bytes context = to_bytes("backup 1 x=3");
    auto wrapped = wrap_to_recipient(recipient.public_key, secret.view(), context);
    REQUIRE(wrapped.ok());

    SECTION("another context") {
        for (const std::string& wrong : {std::string(), std::string("backup 1 x=4"),
                                         std::string("backup 1 x=3 "), std::string("backup 1 x")}) {
            INFO("context '" << wrong << "'");
            auto opened = unwrap_with_identity(recipient.secret_key, recipient.public_key, *wrapped,
                                               as_bytes(wrong));
            REQUIRE_FALSE(opened.ok());
            CHECK(opened.error().code == Errc::auth_failed);
            CHECK_FALSE(opened.error().hint.empty());
        }
    }
    SECTION("another identity") {
        auto opened = unwrap_with_identity(other.secret_key, other.public_key, *wrapped, context);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
    }
    SECTION("the right secret key with another public key") {
        auto opened =
            unwrap_with_identity(recipient.secret_key, other.public_key, *wrapped, context);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
    }
    SECTION("an identity secret key of the wrong size") {
        auto opened =
            unwrap_with_identity(SecretBytes::random(31), recipient.public_key, *wrapped, context);
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::invalid_argument);
    }
}

TEST_CASE("share wrapping refuses low-order keys on both sides", "[x25519]") {
    const PublicKey zero{};
    PublicKey one{};
    one[0] = 1;
    const PublicKey order8 =
        public_hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    const SecretBytes secret = SecretBytes::random(32);
    for (const PublicKey& bad : {zero, one, order8}) {
        auto wrapped = wrap_to_recipient(bad, secret.view(), as_bytes("ctx"));
        REQUIRE_FALSE(wrapped.ok());
        CHECK(wrapped.error().code == Errc::auth_failed);
        CHECK(wrapped.error().message.find("low order") != std::string::npos);
    }

    // A wrapped share whose ephemeral key was replaced by a low-order point.
    KeyPair recipient = generate_keypair();
    auto wrapped = wrap_to_recipient(recipient.public_key, secret.view(), as_bytes("ctx"));
    REQUIRE(wrapped.ok());
    for (const PublicKey& bad : {zero, one, order8}) {
        Bytes forged = *wrapped;
        std::copy(bad.begin(), bad.end(), forged.begin());
        auto opened = unwrap_with_identity(recipient.secret_key, recipient.public_key, forged,
                                           as_bytes("ctx"));
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
    }
}
