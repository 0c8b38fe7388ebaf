// HKDF-SHA256 (RFC 5869 and every Wycheproof vector), derive_subkey, Argon2id (vectors from the
// reference implementation), and the parameter ceilings that protect against hostile files.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "crypto/bytes.hpp"
#include "crypto/kdf.hpp"
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

SecretBytes passphrase(std::string_view text) {
    return SecretBytes::copy_of(as_bytes(text));
}

constexpr std::uint64_t k_kib = 1024;
constexpr std::uint64_t k_mib = 1024 * k_kib;
constexpr std::uint64_t k_gib = 1024 * k_mib;

}  // namespace

// ---------------------------------------------------------------------------------------------
// HKDF-SHA256

TEST_CASE("hkdf_sha256 matches RFC 5869 test cases A.1 to A.3", "[kdf]") {
    struct Case {
        const char* name;
        const char* ikm;
        const char* salt;
        const char* info;
        std::size_t length;
        const char* okm;
    };
    const Case cases[] = {
        {"A.1 basic", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
         "f0f1f2f3f4f5f6f7f8f9", 42,
         "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
        {"A.2 longer inputs and outputs",
         "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b"
         "2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
         "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b"
         "8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
         "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadb"
         "dcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
         82,
         "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c6"
         "5e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
        {"A.3 zero-length salt and info", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
         42,
         "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        auto okm = hkdf_sha256(hex(c.ikm), hex(c.salt), hex(c.info), c.length);
        INFO(describe(okm));
        REQUIRE(okm.ok());
        CHECK(okm->equals(hex(c.okm)));
    }
}

TEST_CASE("hkdf_sha256 passes every Wycheproof HKDF-SHA-256 vector", "[kdf]") {
    const nlohmann::json doc = load_wycheproof("hkdf_sha256_test.json");
    REQUIRE(doc.at("algorithm") == "HKDF-SHA-256");
    const std::size_t declared = doc.at("numberOfTests").get<std::size_t>();
    std::size_t run = 0, valid = 0, refused = 0;
    for (const auto& group : doc.at("testGroups")) {
        for (const auto& test : group.at("tests")) {
            ++run;
            const std::string result = test.at("result").get<std::string>();
            INFO("tcId " << test.at("tcId").get<int>() << " ("
                         << test.at("comment").get<std::string>() << ", " << result << ")");
            const std::size_t size = test.at("size").get<std::size_t>();
            auto okm = hkdf_sha256(hex(test.at("ikm").get<std::string>()),
                                   hex(test.at("salt").get<std::string>()),
                                   hex(test.at("info").get<std::string>()), size);
            if (result == "invalid") {
                // The only invalid vectors ask for more than 255 * 32 bytes.
                REQUIRE_FALSE(okm.ok());
                CHECK(okm.error().code == Errc::invalid_argument);
                ++refused;
            } else {
                INFO(describe(okm));
                REQUIRE(okm.ok());
                CHECK(okm->size() == size);
                CHECK(okm->equals(hex(test.at("okm").get<std::string>())));
                ++valid;
            }
        }
    }
    REQUIRE(declared == 86);
    REQUIRE(run == declared);
    CHECK(valid == 83);
    CHECK(refused == 3);
}

TEST_CASE("hkdf_sha256 output sizes: 1 to 255 * 32 bytes", "[kdf]") {
    const Bytes ikm = to_bytes("input key material");
    auto zero = hkdf_sha256(ikm, {}, {}, 0);
    REQUIRE_FALSE(zero.ok());
    CHECK(zero.error().code == Errc::invalid_argument);

    auto too_long = hkdf_sha256(ikm, {}, {}, 255 * 32 + 1);
    REQUIRE_FALSE(too_long.ok());
    CHECK(too_long.error().code == Errc::invalid_argument);
    CHECK(too_long.error().message.find("8161") != std::string::npos);

    auto huge = hkdf_sha256(ikm, {}, {}, std::numeric_limits<std::size_t>::max());
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.error().code == Errc::invalid_argument);

    auto longest = hkdf_sha256(ikm, {}, {}, 255 * 32);
    REQUIRE(longest.ok());
    CHECK(longest->size() == 255 * 32);
    auto one = hkdf_sha256(ikm, {}, {}, 1);
    REQUIRE(one.ok());
    CHECK((*one)[0] == (*longest)[0]);  // HKDF output is a prefix stream
}

TEST_CASE("hkdf_sha256 with an empty input key", "[kdf]") {
    // RFC 5869 allows it; libsodium must not be handed a null pointer for it.
    auto okm = hkdf_sha256({}, {}, as_bytes("info"), 32);
    REQUIRE(okm.ok());
    auto again = hkdf_sha256({}, {}, as_bytes("info"), 32);
    REQUIRE(again.ok());
    CHECK(okm->equals(*again));
}

TEST_CASE("derive_subkey is HKDF with the ssoescrow/1 label and an empty salt", "[kdf]") {
    const SecretBytes key = SecretBytes::random(32);
    const SecretBytes payload = derive_subkey(key, "payload", 32);
    auto expected = hkdf_sha256(key.view(), {}, as_bytes("ssoescrow/1 payload"), 32);
    REQUIRE(expected.ok());
    CHECK(payload.equals(*expected));

    // An empty salt and a salt of 32 zero bytes are the same thing in HKDF (RFC 5869 2.2).
    const Bytes zero_salt(32, 0);
    auto same = hkdf_sha256(key.view(), zero_salt, as_bytes("ssoescrow/1 payload"), 32);
    REQUIRE(same.ok());
    CHECK(payload.equals(*same));

    const SecretBytes header_mac = derive_subkey(key, "header-mac", 32);
    CHECK_FALSE(payload.equals(header_mac));
    CHECK_FALSE(payload.equals(derive_subkey(key, "payload ", 32)));
    CHECK_FALSE(payload.equals(derive_subkey(SecretBytes::random(32), "payload", 32)));
    CHECK(payload.equals(derive_subkey(key, "payload", 32)));
    CHECK(derive_subkey(key, "x", 64).size() == 64);
}

TEST_CASE("derive_subkey with an impossible size is a bug and throws", "[kdf]") {
    const SecretBytes key = SecretBytes::random(32);
    REQUIRE_THROWS_AS(derive_subkey(key, "payload", 0), std::logic_error);
    REQUIRE_THROWS_AS(derive_subkey(key, "payload", 255 * 32 + 1), std::logic_error);
}

// ---------------------------------------------------------------------------------------------
// Argon2id

TEST_CASE("argon2id matches vectors of the Argon2 reference implementation", "[kdf]") {
    // RFC 9106's Argon2id vector uses a secret, associated data and 4 lanes; libsodium (and so
    // our wrapper) supports none of those (p = 1, no secret, no ad), so it cannot apply here.
    //
    // These vectors come from the reference implementation (the phc-winner-argon2 `argon2`
    // command, Argon2 version 1.3, p = 1):
    //   printf 'correct horse battery staple' | argon2 ssoescrow-salt16 -id -t T -k M -p 1 -l L -r
    // with M in KiB; our KdfParams take bytes (M * 1024).
    struct Case {
        std::uint64_t t;
        std::uint64_t m_kib;
        std::size_t length;
        const char* hash;
    };
    const Case cases[] = {
        {1, 8, 32, "e6a022fdf874ac3f7178dd881b411a53e1ba80722a2849e82a1926a2b1218e5b"},
        {2, 64, 32, "666a7503d131965f11cfafd44d37fa3ddd3d800dcd9e4281a41651123c62262b"},
        {3, 256, 64,
         "5fea6d6cb81dbba0b4c235474c581dca20d0eb9fa926d9096706d5b13173e7b0b7e5a6530cb9efb9afb5d1db6"
         "4d16312eab57a1641a7c51038c6d419c76425bd"},
        {4, 1024, 16, "d9d70334d51909246be59380476237ab"},
    };
    const SecretBytes pass = passphrase("correct horse battery staple");
    const Bytes salt = to_bytes("ssoescrow-salt16");
    REQUIRE(salt.size() == k_argon2_salt_size);
    for (const Case& c : cases) {
        INFO("t=" << c.t << " m=" << c.m_kib << " KiB length=" << c.length);
        auto key = argon2id(pass, salt, KdfParams{c.t, c.m_kib * k_kib}, c.length);
        INFO(describe(key));
        REQUIRE(key.ok());
        CHECK(to_hex(key->view()) == c.hash);  // test data only: no real secret is printed
    }
}

TEST_CASE("argon2id matches vectors published in libsodium's test suite", "[kdf]") {
    // From libsodium's test/default/pwhash_argon2id.c (tv, entries 4 and 6, expected outputs in
    // pwhash_argon2id.exp; the salt is the first 16 bytes of the listed hex) and tv3 entry 2, a
    // PHC string with an empty passphrase:
    //   $argon2id$v=19$m=4882,t=2,p=1$bA81arsiXysd3WbTRzmEOw$Nm8QBM+7RH1DXo9rvp5cwKEOOOfD2g6JuxlXihoNcpE
    // decoded here (salt and hash from unpadded base64, m in KiB). The memory limits of the first
    // two are not multiples of 1 KiB: libsodium rounds down, and so must our byte-based params.
    struct Case {
        const char* passphrase;
        const char* salt;
        std::uint64_t t;
        std::uint64_t m_bytes;
        const char* hash;
    };
    const Case cases[] = {
        {"4a857e2ee8aa9b6056f2424e84d24a72473378906ee04a46cb05311502d5250b82ad86b83c8f20a23dbb74f6"
         "da60b0b6ecffd67134d45946ac8ebfb3064294bc097d43ced68642bfb8bbbdd0f50b30118f5e",
         "39d82eef32010b8b79cc5ba88ed539fb", 3, 1432947,
         "08d8cd330c57e1b4643241d05bb468ba4ee4e932cd0858816be9ef15360b27bbd06a87130ee92222be267a29"
         "b81f5ae8fe8613324cfc4832dc49387fd0602f1c57b4d0f3855db94fb7e12eb05f9a484aed4a4307abf586cd"
         "3d55c809bc081541e00b682772fb2066504ff935b8ebc551a2083882f874bc0fae68e56848ae34c91097c3bf"
         "0cca8e75c0797eef3efde3f75e005815018db3cf7c109a812264c4de69dcb22322dbbcfa447f5b00ecd1b04a"
         "7be1569c8e556adb7bba48adf81d"},
        {"b540beb016a5366524d4605156493f9874514a5aa58818cd0c6dfffaa9e90205f17b",
         "44071f6d181561670bda728d43fb79b4", 1, 1631659,
         "7fb72409b0987f8190c3729710e98c3f80c5a8727d425fdcde7f3644d467fe973f5b5fee683bd3fce812cb9a"
         "e5e9921a2d06c2f1905e4e839692f2b934b682f11a2fe2b90482ea5dd234863516dba6f52dc0702d324ec77d"
         "860c2e181f84472bd7104fedce071ffa93c5309494ad51623d214447a7b2b1462dc7d5d55a1f6fd5b54ce024"
         "118d86f0c6489d16545aaa87b6689dad9f2fb47fda9894f8e12b87d978b483ccd4cc5fd9595cdc7a818452f9"
         "15ce2f7df95ec12b1c72e3788d473441d884f9748eb14703c21b45d82fd667b85f5b2d98c13303b3fe762855"
         "31a826b6fc0fe8e3dddecf"},
        {"", "6c0f356abb225f2b1ddd66d34739843b", 2, 4882 * k_kib,
         "366f1004cfbb447d435e8f6bbe9e5cc0a10e38e7c3da0e89bb19578a1a0d7291"},
    };
    for (const Case& c : cases) {
        INFO("t=" << c.t << " m=" << c.m_bytes << " bytes");
        const Bytes expected = hex(c.hash);
        auto key = argon2id(SecretBytes::copy_of(hex(c.passphrase)), hex(c.salt),
                            KdfParams{c.t, c.m_bytes}, expected.size());
        INFO(describe(key));
        REQUIRE(key.ok());
        CHECK(key->equals(expected));
    }
}

TEST_CASE("argon2id is deterministic and sensitive to every input", "[kdf]") {
    const KdfParams params = KdfParams::minimum_for_tests();
    const SecretBytes pass = passphrase("hunter2 but longer");
    const Bytes salt(k_argon2_salt_size, 0x5a);
    auto base = argon2id(pass, salt, params, 32);
    REQUIRE(base.ok());
    REQUIRE(base->size() == 32);

    auto again = argon2id(pass, salt, params, 32);
    REQUIRE(again.ok());
    CHECK(base->equals(*again));

    Bytes other_salt = salt;
    other_salt[15] ^= 1;
    auto by_salt = argon2id(pass, other_salt, params, 32);
    auto by_pass = argon2id(passphrase("hunter2 but longes"), salt, params, 32);
    auto by_ops = argon2id(pass, salt, KdfParams{params.ops_limit + 1, params.mem_limit_bytes}, 32);
    auto by_mem = argon2id(pass, salt, KdfParams{params.ops_limit, params.mem_limit_bytes * 2}, 32);
    auto by_len = argon2id(pass, salt, params, 33);
    REQUIRE(by_salt.ok());
    REQUIRE(by_pass.ok());
    REQUIRE(by_ops.ok());
    REQUIRE(by_mem.ok());
    REQUIRE(by_len.ok());
    CHECK_FALSE(base->equals(*by_salt));
    CHECK_FALSE(base->equals(*by_pass));
    CHECK_FALSE(base->equals(*by_ops));
    CHECK_FALSE(base->equals(*by_mem));
    // The output length is an Argon2 input: a longer output is not an extension of a shorter one.
    CHECK_FALSE(base->equals(ByteView(by_len->view()).subspan(0, 32)));
}

TEST_CASE("argon2id refuses bad salt and output sizes", "[kdf]") {
    const SecretBytes pass = passphrase("pw");
    const KdfParams params = KdfParams::minimum_for_tests();
    for (std::size_t size : {0, 8, 15, 17, 32}) {
        INFO("salt size " << size);
        auto key = argon2id(pass, Bytes(size, 1), params, 32);
        REQUIRE_FALSE(key.ok());
        CHECK(key.error().code == Errc::invalid_argument);
        CHECK(key.error().message.find("salt") != std::string::npos);
    }
    for (std::size_t size : {0, 1, 15, 255 * 32 + 1}) {
        INFO("output size " << size);
        auto key = argon2id(pass, Bytes(k_argon2_salt_size, 1), params, size);
        REQUIRE_FALSE(key.ok());
        CHECK(key.error().code == Errc::invalid_argument);
    }
    auto smallest = argon2id(pass, Bytes(k_argon2_salt_size, 1), params, 16);
    REQUIRE(smallest.ok());
}

TEST_CASE("KdfParams named levels are libsodium's", "[kdf]") {
    CHECK(KdfParams::interactive() == KdfParams{2, 64 * k_mib});
    CHECK(KdfParams::moderate() == KdfParams{3, 256 * k_mib});
    CHECK(KdfParams::sensitive() == KdfParams{4, 1 * k_gib});
    CHECK(KdfParams::minimum_for_tests() == KdfParams{1, 8 * k_kib});
    for (const KdfParams& p : {KdfParams::interactive(), KdfParams::moderate(),
                               KdfParams::sensitive(), KdfParams::minimum_for_tests()}) {
        CHECK(check_kdf_params(p).ok());
    }
}

TEST_CASE("check_kdf_params enforces ceilings and libsodium's minimum", "[kdf]") {
    SECTION("at the ceilings: accepted (checked only, never computed here)") {
        CHECK(check_kdf_params({k_kdf_max_ops, k_kdf_max_mem_bytes}).ok());
        CHECK(k_kdf_max_ops == 16);
        CHECK(k_kdf_max_mem_bytes == 4 * k_gib);
    }
    SECTION("one pass too many") {
        auto status = check_kdf_params({k_kdf_max_ops + 1, 64 * k_mib});
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().code == Errc::limit_exceeded);
        CHECK(status.error().message == "argon2id pass count 17 exceeds the ceiling of 16");
        CHECK_FALSE(status.error().hint.empty());
    }
    SECTION("one byte too much memory") {
        auto status = check_kdf_params({3, k_kdf_max_mem_bytes + 1});
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().code == Errc::limit_exceeded);
        CHECK(status.error().message.find("4 GiB") != std::string::npos);
    }
    SECTION("64 GiB") {
        auto status = check_kdf_params({3, 64 * k_gib});
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().code == Errc::limit_exceeded);
        CHECK(status.error().message == "argon2id memory 64 GiB exceeds the ceiling of 4 GiB");
    }
    SECTION("the largest values a file can hold") {
        const auto max = std::numeric_limits<std::uint64_t>::max();
        for (const KdfParams& p : {KdfParams{max, 8 * k_kib}, KdfParams{1, max},
                                   KdfParams{max, max}, KdfParams{max, 0}, KdfParams{0, max}}) {
            auto status = check_kdf_params(p);
            REQUIRE_FALSE(status.ok());
            CHECK(status.error().code == Errc::limit_exceeded);
        }
    }
    SECTION("below libsodium's minimum") {
        auto no_pass = check_kdf_params({0, 64 * k_mib});
        REQUIRE_FALSE(no_pass.ok());
        CHECK(no_pass.error().code == Errc::invalid_argument);
        CHECK(no_pass.error().message == "argon2id pass count 0 is below the minimum of 1");

        auto tiny = check_kdf_params({3, 8 * k_kib - 1});
        REQUIRE_FALSE(tiny.ok());
        CHECK(tiny.error().code == Errc::invalid_argument);
        CHECK(tiny.error().message.find("8 KiB") != std::string::npos);

        auto nothing = check_kdf_params({0, 0});
        REQUIRE_FALSE(nothing.ok());
        CHECK(nothing.error().code == Errc::invalid_argument);
    }
}

TEST_CASE("argon2id refuses hostile parameters before allocating anything", "[kdf]") {
    // Scenario I10: a tampered key file asks for 64 GiB or a billion passes. The refusal must be
    // immediate (the ceiling check), not an attempt that runs out of memory or time.
    const SecretBytes pass = passphrase("pw");
    const Bytes salt(k_argon2_salt_size, 3);
    const auto start = std::chrono::steady_clock::now();

    auto memory = argon2id(pass, salt, KdfParams{1, 64 * k_gib}, 32);
    REQUIRE_FALSE(memory.ok());
    CHECK(memory.error().code == Errc::limit_exceeded);
    CHECK(memory.error().message.find("ceiling") != std::string::npos);

    auto passes = argon2id(pass, salt, KdfParams{1'000'000'000, 8 * k_kib}, 32);
    REQUIRE_FALSE(passes.ok());
    CHECK(passes.error().code == Errc::limit_exceeded);
    CHECK(passes.error().message.find("ceiling") != std::string::npos);

    auto below = argon2id(pass, salt, KdfParams{0, 8 * k_kib}, 32);
    REQUIRE_FALSE(below.ok());
    CHECK(below.error().code == Errc::invalid_argument);

    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed < std::chrono::milliseconds(500));
}
