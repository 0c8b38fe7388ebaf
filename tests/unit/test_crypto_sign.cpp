// Ed25519 signatures, signer lines and signing key files; every Wycheproof Ed25519 vector through
// crypto::ed25519_verify and every Wycheproof HMAC-SHA-256 vector through the header-MAC wrapper
// (crypto::hmac_sha256 / hmac_sha256_verify).
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/hash.hpp"
#include "crypto/sign.hpp"

using namespace ssoescrow;
using namespace ssoescrow::crypto;

namespace {

Bytes hex(std::string_view text) {
    auto bytes = from_hex(text, "test vector");
    REQUIRE(bytes.ok());
    return std::move(bytes).value();
}

nlohmann::json load_wycheproof(const std::string& name) {
    const std::string path = std::string(SSOESCROW_TESTS_DIR) + "/vectors/wycheproof/" + name;
    std::ifstream in(path);
    INFO(path);
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
}

std::string text_of(const SecretBytes& bytes) {
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

TEST_CASE("ed25519 passes every Wycheproof Ed25519 vector through our wrapper", "[sign]") {
    const nlohmann::json doc = load_wycheproof("ed25519_test.json");
    const std::size_t declared = doc.at("numberOfTests").get<std::size_t>();
    std::size_t run = 0;
    std::size_t valid = 0;
    std::size_t invalid = 0;
    for (const auto& group : doc.at("testGroups")) {
        REQUIRE(group.at("type") == "EddsaVerify");
        REQUIRE(group.at("publicKey").at("curve") == "edwards25519");
        const Bytes public_key = hex(group.at("publicKey").at("pk").get<std::string>());
        for (const auto& test : group.at("tests")) {
            ++run;
            const std::string result = test.at("result").get<std::string>();
            INFO("tcId " << test.at("tcId").get<int>() << " (" << test.at("comment") << ", "
                         << result << ")");
            REQUIRE(result != "acceptable");  // the file has none; a new one must be decided
            const bool ok = ed25519_verify(public_key, hex(test.at("msg").get<std::string>()),
                                           hex(test.at("sig").get<std::string>()));
            CHECK(ok == (result == "valid"));
            ++(result == "valid" ? valid : invalid);
        }
    }
    REQUIRE(declared == 151);
    REQUIRE(run == declared);
    CHECK(valid > 0);
    CHECK(invalid > 0);
}

TEST_CASE("ed25519 signs RFC 8032 test 1 and 2 exactly", "[sign]") {
    struct Case {
        const char* seed;
        const char* public_key;
        const char* message;
        const char* signature;
    };
    // RFC 8032 section 7.1, TEST 1 and TEST 2.
    const Case cases[] = {
        {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
         "701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
         "13d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    };
    for (const Case& c : cases) {
        auto pair = ed25519_from_seed(SecretBytes::copy_of(hex(c.seed)));
        REQUIRE(pair.ok());
        CHECK(to_hex(pair->public_key) == c.public_key);
        const Signature signature = ed25519_sign(pair->secret_key, hex(c.message));
        CHECK(to_hex(signature) == c.signature);
        CHECK(ed25519_verify(pair->public_key, hex(c.message), signature));
    }
}

TEST_CASE("ed25519 refuses a changed message, key or signature and wrong sizes", "[sign]") {
    const SigningKey key = generate_signing_key("host");
    const Bytes message = to_bytes("ssoescrow/1 test message");
    const Signature signature = key.sign(message);
    CHECK(verify_signature(key.signer, message, signature));
    Bytes other = message;
    other.back() ^= 1;
    CHECK_FALSE(verify_signature(key.signer, other, signature));
    Signature flipped = signature;
    flipped[10] ^= 0x40;
    CHECK_FALSE(verify_signature(key.signer, message, flipped));
    CHECK_FALSE(verify_signature(generate_signing_key("other").signer, message, signature));
    CHECK_FALSE(ed25519_verify(ByteView(key.signer.public_key).first(31), message, signature));
    CHECK_FALSE(ed25519_verify(key.signer.public_key, message, ByteView(signature).first(63)));
    CHECK_THROWS_AS(ed25519_sign(SecretBytes(32), message), std::logic_error);
}

TEST_CASE("hmac_sha256 passes every Wycheproof HMAC-SHA-256 vector", "[sign]") {
    const nlohmann::json doc = load_wycheproof("hmac_sha256_test.json");
    const std::size_t declared = doc.at("numberOfTests").get<std::size_t>();
    std::size_t run = 0;
    std::size_t truncated = 0;
    for (const auto& group : doc.at("testGroups")) {
        REQUIRE(group.at("type") == "MacTest");
        // Wycheproof: a tag of tagSize bits is the first tagSize/8 bytes of the full MAC.
        const std::size_t tag_bytes = group.at("tagSize").get<std::size_t>() / 8;
        REQUIRE(group.at("keySize").get<std::size_t>() % 8 == 0);
        for (const auto& test : group.at("tests")) {
            ++run;
            const std::string result = test.at("result").get<std::string>();
            INFO("tcId " << test.at("tcId").get<int>() << " (" << test.at("comment") << ", "
                         << result << ")");
            REQUIRE(result != "acceptable");
            const SecretBytes key = SecretBytes::copy_of(hex(test.at("key").get<std::string>()));
            REQUIRE(key.size() * 8 == group.at("keySize").get<std::size_t>());
            const Bytes message = hex(test.at("msg").get<std::string>());
            const Bytes tag = hex(test.at("tag").get<std::string>());
            const Digest mac = hmac_sha256(key, message);
            const bool computed_matches =
                tag.size() == tag_bytes &&
                std::equal(tag.begin(), tag.end(), mac.begin(), mac.begin() + tag.size());
            CHECK(computed_matches == (result == "valid"));
            CHECK(hmac_sha256_verify(key, message, tag) == (result == "valid"));
            if (tag_bytes < k_hash_size)
                ++truncated;
        }
    }
    REQUIRE(declared == 174);
    REQUIRE(run == declared);
    CHECK(truncated > 0);
}

TEST_CASE("hmac_sha256_verify never accepts a tag shorter than 16 bytes", "[sign]") {
    const SecretBytes key = SecretBytes::copy_of(hex(std::string(64, 'a')));
    const Bytes message = to_bytes("header");
    const Digest mac = hmac_sha256(key, message);
    CHECK(hmac_sha256_verify(key, message, mac));
    CHECK(hmac_sha256_verify(key, message, ByteView(mac).first(16)));
    CHECK_FALSE(hmac_sha256_verify(key, message, ByteView(mac).first(15)));
    CHECK_FALSE(hmac_sha256_verify(key, message, {}));
}

TEST_CASE("signer lines round-trip and refuse every other spelling", "[sign]") {
    const SigningKey key = generate_signing_key("BTS01 backup host");
    const std::string line = key.signer.to_line();
    auto parsed = parse_signer(line + "\n", "host.pub");
    REQUIRE(parsed.ok());
    CHECK(parsed->public_key == key.signer.public_key);
    CHECK(parsed->label == "BTS01 backup host");
    CHECK(parsed->to_line() == line);
    CHECK(parsed->fingerprint().size() == 39);

    // Another key under the same fingerprint (a mangled key) is refused.
    std::string mangled = line;
    const std::size_t key_at = std::string(k_signer_magic).size() + 9;
    mangled[key_at] = mangled[key_at] == 'A' ? 'B' : 'A';
    auto bad = parse_signer(mangled, "host.pub");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == Errc::parse);

    auto v2 = parse_signer("ssoescrow-signer/2 ed25519 x y z", "host.pub");
    REQUIRE_FALSE(v2.ok());
    CHECK(v2.error().code == Errc::unsupported_version);
    CHECK_FALSE(parse_signer("ssoescrow-recipient/1 x25519 a b c", "host.pub").ok());
    CHECK_FALSE(parse_signer(line + "\r", "host.pub").ok());
    CHECK_FALSE(parse_signer(line + " ", "host.pub").ok());  // trailing space in the label
    const std::string fingerprint = key.signer.fingerprint();
    std::string no_label = line.substr(0, line.find(fingerprint) + fingerprint.size());
    CHECK_FALSE(parse_signer(no_label, "host.pub").ok());
}

TEST_CASE("signing key files round-trip, sign, and refuse damage", "[sign]") {
    const SigningKey key = generate_signing_key("ops");
    const SecretBytes file = serialise_signing_key(key);
    const std::string text = text_of(file);
    CHECK(text.rfind("ssoescrow-signing-key/1\nsigner: ssoescrow-signer/1 ed25519 ", 0) == 0);
    auto parsed = parse_signing_key(file.view(), "ops.key");
    REQUIRE(parsed.ok());
    CHECK(parsed->signer.to_line() == key.signer.to_line());
    const Bytes message = to_bytes("record");
    CHECK(verify_signature(key.signer, message, parsed->sign(message)));

    // The secret of another key under this signer line.
    const SigningKey other = generate_signing_key("ops");
    const std::string other_text = text_of(serialise_signing_key(other));
    std::string swapped =
        text.substr(0, text.find("secret: ")) + other_text.substr(other_text.find("secret: "));
    auto mismatch = parse_signing_key(as_bytes(swapped), "ops.key");
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().message.find("does not belong") != std::string::npos);
    CHECK(mismatch.error().message.find(other_text.substr(other_text.find("secret: ") + 8, 20)) ==
          std::string::npos);

    CHECK_FALSE(parse_signing_key(as_bytes(text.substr(0, text.size() - 1)), "ops.key").ok());
    CHECK_FALSE(parse_signing_key(as_bytes(text + "\n"), "ops.key").ok());
    auto v2 = parse_signing_key(as_bytes("ssoescrow-signing-key/2\n"), "ops.key");
    REQUIRE_FALSE(v2.ok());
    CHECK(v2.error().code == Errc::unsupported_version);
    CHECK_FALSE(parse_signing_key(as_bytes("ssoescrow-identity/1\n"), "ops.key").ok());
    auto huge = parse_signing_key(as_bytes(std::string(2000, 'a')), "ops.key");
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.error().code == Errc::limit_exceeded);
}
