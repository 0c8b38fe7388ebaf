// XChaCha20-Poly1305: every Wycheproof vector through aead_seal / aead_open, round trips, and
// tamper tests on every byte of key, nonce, ciphertext, tag and associated data.
#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "crypto/secret_bytes.hpp"

using namespace ssoescrow;
using namespace ssoescrow::crypto;

namespace {

Bytes hex(std::string_view text) {
    auto bytes = from_hex(text, "test vector");
    REQUIRE(bytes.ok());
    return std::move(bytes).value();
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

Bytes concat(ByteView a, ByteView b) {
    Bytes out(a.begin(), a.end());
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

}  // namespace

TEST_CASE("aead passes every Wycheproof XChaCha20-Poly1305 vector through our wrapper", "[aead]") {
    const nlohmann::json doc = load_wycheproof("xchacha20_poly1305_test.json");
    REQUIRE(doc.at("algorithm") == "XCHACHA20-POLY1305");
    const std::size_t declared = doc.at("numberOfTests").get<std::size_t>();
    std::size_t run = 0, valid = 0, refused_tampered = 0, refused_nonce_size = 0;

    for (const auto& group : doc.at("testGroups")) {
        const std::size_t nonce_bits = group.at("ivSize").get<std::size_t>();
        REQUIRE(group.at("keySize").get<std::size_t>() == k_aead_key_size * 8);
        REQUIRE(group.at("tagSize").get<std::size_t>() == k_aead_tag_size * 8);
        for (const auto& test : group.at("tests")) {
            ++run;
            const std::string result = test.at("result").get<std::string>();
            INFO("tcId " << test.at("tcId").get<int>() << " ("
                         << test.at("comment").get<std::string>() << ", " << result << ")");
            const SecretBytes key = SecretBytes::copy_of(hex(test.at("key").get<std::string>()));
            const Bytes nonce = hex(test.at("iv").get<std::string>());
            const Bytes ad = hex(test.at("aad").get<std::string>());
            const Bytes message = hex(test.at("msg").get<std::string>());
            const Bytes sealed_expected = concat(hex(test.at("ct").get<std::string>()),
                                                 hex(test.at("tag").get<std::string>()));
            REQUIRE(nonce.size() * 8 == nonce_bits);

            auto sealed = aead_seal(key, nonce, message, ad);
            auto opened = aead_open(key, nonce, sealed_expected, ad);

            if (nonce.size() != k_aead_nonce_size) {
                // Our API takes exactly 24-byte nonces: any other size is refused by design,
                // on both sides, before any cryptography runs.
                REQUIRE(result == "invalid");
                REQUIRE_FALSE(sealed.ok());
                REQUIRE_FALSE(opened.ok());
                CHECK(sealed.error().code == Errc::internal);
                CHECK(opened.error().code == Errc::internal);
                CHECK(opened.error().message.find("nonce") != std::string::npos);
                ++refused_nonce_size;
                continue;
            }
            if (result == "valid" || result == "acceptable") {
                INFO(describe(sealed) << " / " << describe(opened));
                REQUIRE(sealed.ok());
                CHECK(*sealed == sealed_expected);
                REQUIRE(opened.ok());
                CHECK(opened->equals(message));
                ++valid;
            } else {
                REQUIRE(result == "invalid");
                REQUIRE_FALSE(opened.ok());
                CHECK(opened.error().code == Errc::auth_failed);
                // Sealing the same message gives the genuine tag, not the modified one.
                REQUIRE(sealed.ok());
                CHECK(*sealed != sealed_expected);
                ++refused_tampered;
            }
        }
    }
    REQUIRE(declared == 315);
    REQUIRE(run == declared);
    CHECK(valid == 246);
    CHECK(refused_tampered == 60);
    CHECK(refused_nonce_size == 9);
}

TEST_CASE("aead round-trips messages of many lengths", "[aead]") {
    const SecretBytes key = SecretBytes::random(k_aead_key_size);
    for (std::size_t size : {0, 1, 15, 16, 17, 63, 64, 65, 1000, 70000}) {
        for (const std::string& ad : {std::string(), std::string("header v1")}) {
            INFO("size " << size << ", ad '" << ad << "'");
            const Bytes nonce = random_bytes(k_aead_nonce_size);
            const SecretBytes message = SecretBytes::random(size);
            auto sealed = aead_seal(key, nonce, message.view(), as_bytes(ad));
            REQUIRE(sealed.ok());
            REQUIRE(sealed->size() == size + k_aead_tag_size);
            auto opened = aead_open(key, nonce, *sealed, as_bytes(ad));
            REQUIRE(opened.ok());
            CHECK(opened->equals(message));
        }
    }
}

TEST_CASE("aead output depends on the nonce and the key", "[aead]") {
    const SecretBytes key = SecretBytes::random(k_aead_key_size);
    const Bytes message = to_bytes("the same message");
    const Bytes nonce_a = random_bytes(k_aead_nonce_size);
    const Bytes nonce_b = random_bytes(k_aead_nonce_size);
    auto a = aead_seal(key, nonce_a, message, {});
    auto b = aead_seal(key, nonce_b, message, {});
    auto c = aead_seal(SecretBytes::random(k_aead_key_size), nonce_a, message, {});
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE(c.ok());
    CHECK(*a != *b);
    CHECK(*a != *c);
    // Deterministic for a fixed key and nonce.
    auto again = aead_seal(key, nonce_a, message, {});
    REQUIRE(again.ok());
    CHECK(*again == *a);
}

TEST_CASE("aead_open refuses any change to ciphertext, tag, associated data, nonce or key",
          "[aead]") {
    const SecretBytes key = SecretBytes::random(k_aead_key_size);
    const Bytes nonce = random_bytes(k_aead_nonce_size);
    const Bytes ad = to_bytes("envelope header");
    const Bytes message = to_bytes("a 32-byte file key, pretend....");
    auto sealed = aead_seal(key, nonce, message, ad);
    REQUIRE(sealed.ok());
    REQUIRE(aead_open(key, nonce, *sealed, ad).ok());

    auto require_refused = [](const Result<SecretBytes>& opened) {
        REQUIRE_FALSE(opened.ok());
        CHECK(opened.error().code == Errc::auth_failed);
        CHECK(opened.error().message == "authentication failed");
    };

    SECTION("every bit of ciphertext and tag") {
        for (std::size_t bit = 0; bit < sealed->size() * 8; ++bit) {
            INFO("bit " << bit);
            Bytes tampered = *sealed;
            tampered[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            require_refused(aead_open(key, nonce, tampered, ad));
        }
    }
    SECTION("every byte of the associated data, and its length") {
        for (std::size_t i = 0; i < ad.size(); ++i) {
            INFO("ad byte " << i);
            Bytes tampered = ad;
            tampered[i] ^= 0x01;
            require_refused(aead_open(key, nonce, *sealed, tampered));
        }
        require_refused(aead_open(key, nonce, *sealed, {}));
        Bytes longer = ad;
        longer.push_back(0);
        require_refused(aead_open(key, nonce, *sealed, longer));
        Bytes shorter(ad.begin(), ad.end() - 1);
        require_refused(aead_open(key, nonce, *sealed, shorter));
    }
    SECTION("every byte of the nonce") {
        for (std::size_t i = 0; i < nonce.size(); ++i) {
            INFO("nonce byte " << i);
            Bytes tampered = nonce;
            tampered[i] ^= 0x80;
            require_refused(aead_open(key, tampered, *sealed, ad));
        }
    }
    SECTION("every byte of the key") {
        for (std::size_t i = 0; i < key.size(); ++i) {
            INFO("key byte " << i);
            SecretBytes tampered = key.clone();
            tampered[i] ^= 0x01;
            require_refused(aead_open(tampered, nonce, *sealed, ad));
        }
    }
    SECTION("truncation and extension") {
        for (std::size_t size = 0; size < sealed->size(); ++size) {
            INFO("truncated to " << size);
            Bytes truncated(sealed->begin(), sealed->begin() + static_cast<std::ptrdiff_t>(size));
            require_refused(aead_open(key, nonce, truncated, ad));
        }
        Bytes extended = *sealed;
        extended.push_back(0);
        require_refused(aead_open(key, nonce, extended, ad));
    }
}

TEST_CASE("aead refuses keys and nonces of the wrong size", "[aead]") {
    const Bytes nonce = random_bytes(k_aead_nonce_size);
    const Bytes message = to_bytes("m");
    const SecretBytes key = SecretBytes::random(k_aead_key_size);
    auto sealed = aead_seal(key, nonce, message, {});
    REQUIRE(sealed.ok());

    for (std::size_t size : {0, 16, 31, 33, 64}) {
        INFO("key size " << size);
        const SecretBytes bad_key = SecretBytes::random(size);
        auto s = aead_seal(bad_key, nonce, message, {});
        auto o = aead_open(bad_key, nonce, *sealed, {});
        REQUIRE_FALSE(s.ok());
        REQUIRE_FALSE(o.ok());
        CHECK(s.error().code == Errc::internal);
        CHECK(o.error().code == Errc::internal);
        CHECK(s.error().message.find("key") != std::string::npos);
    }
    // 12 bytes is the ChaCha20-Poly1305 (non-X) nonce: a caller mixing the two is refused.
    for (std::size_t size : {0, 8, 12, 23, 25, 32}) {
        INFO("nonce size " << size);
        const Bytes bad_nonce(size, 0x07);
        auto s = aead_seal(key, bad_nonce, message, {});
        auto o = aead_open(key, bad_nonce, *sealed, {});
        REQUIRE_FALSE(s.ok());
        REQUIRE_FALSE(o.ok());
        CHECK(s.error().code == Errc::internal);
        CHECK(o.error().code == Errc::internal);
        CHECK(s.error().message.find("nonce") != std::string::npos);
    }
}
