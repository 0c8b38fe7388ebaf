// Strict hex and base64: canonical encodings only, everything else is a parse error that names
// the field.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"

using namespace ssoescrow;

namespace {

void require_hex_refused(std::string_view text) {
    INFO("hex input '" << std::string(text) << "'");
    auto decoded = from_hex(text, "recipient");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == Errc::parse);
    CHECK(decoded.error().message.rfind("recipient: ", 0) == 0);
}

void require_base64_refused(std::string_view text) {
    INFO("base64 input '" << std::string(text) << "'");
    auto decoded = from_base64(text, "payload");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == Errc::parse);
    CHECK(decoded.error().message.rfind("payload: ", 0) == 0);
}

}  // namespace

TEST_CASE("to_hex is lower case and from_hex inverts it for every byte value", "[bytes]") {
    CHECK(to_hex({}).empty());
    CHECK(to_hex(Bytes{0x00, 0xff, 0x0a, 0xb7}) == "00ff0ab7");

    Bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = static_cast<std::uint8_t>(i);
    const std::string text = to_hex(all);
    REQUIRE(text.size() == 512);
    CHECK(text.find_first_not_of("0123456789abcdef") == std::string::npos);
    auto back = from_hex(text, "all bytes");
    REQUIRE(back.ok());
    CHECK(*back == all);

    auto empty = from_hex("", "empty");
    REQUIRE(empty.ok());
    CHECK(empty->empty());
}

TEST_CASE("from_hex accepts only canonical lower-case hex", "[bytes]") {
    require_hex_refused("ABCD");                        // upper case
    require_hex_refused("aBcd");                        // mixed case
    require_hex_refused("abc");                         // odd length
    require_hex_refused("a");                           // odd length
    require_hex_refused("0g");                          // not a hex digit
    require_hex_refused("0x00");                        // prefix
    require_hex_refused(" 00");                         // leading whitespace
    require_hex_refused("00 ");                         // trailing whitespace
    require_hex_refused("00\n");                        // trailing newline
    require_hex_refused("00:11");                       // separators
    require_hex_refused("00 11");                       // separators
    require_hex_refused(std::string_view("00\0a", 4));  // embedded NUL
    require_hex_refused("\xc3\xa9\xc3\xa9");            // non-ASCII

    auto odd = from_hex("abc", "recipient");
    REQUIRE_FALSE(odd.ok());
    CHECK(odd.error().message.find("odd length") != std::string::npos);
    auto upper = from_hex("AB", "recipient");
    REQUIRE_FALSE(upper.ok());
    CHECK(upper.error().message.find("lower-case") != std::string::npos);
}

TEST_CASE("base64 matches the RFC 4648 test vectors", "[bytes]") {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        INFO(plain);
        CHECK(to_base64(as_bytes(plain)) == encoded);
        auto decoded = from_base64(encoded, "vector");
        REQUIRE(decoded.ok());
        CHECK(*decoded == to_bytes(plain));
    }
}

TEST_CASE("base64 round-trips random data of every small length", "[bytes]") {
    for (std::size_t size = 0; size < 100; ++size) {
        INFO("size " << size);
        const Bytes data = crypto::random_bytes(size);
        const std::string text = to_base64(data);
        CHECK(text.size() == (size + 2) / 3 * 4);
        auto back = from_base64(text, "random");
        REQUIRE(back.ok());
        CHECK(*back == data);
    }
    const Bytes high(300, 0xff);
    auto back = from_base64(to_base64(high), "high");
    REQUIRE(back.ok());
    CHECK(*back == high);
}

TEST_CASE("from_base64 accepts only the canonical encoding", "[bytes]") {
    SECTION("padding") {
        require_base64_refused("Zg");        // missing padding
        require_base64_refused("Zg=");       // short padding
        require_base64_refused("Zm8");       // missing padding
        require_base64_refused("Zm9vYg");    // missing padding
        require_base64_refused("Zg===");     // extra padding
        require_base64_refused("Zm9v=");     // padding after a full group
        require_base64_refused("=");         // padding alone
        require_base64_refused("====");      // padding alone
        require_base64_refused("Zg==Zg==");  // data after padding
        require_base64_refused("Z===");      // a lone character cannot encode a byte
    }
    SECTION("non-zero padding bits (alternative spellings of the same bytes)") {
        // "f" is Zg==: the low 4 bits of 'g' are padding; Zh.. Zv all decode to "f" too.
        require_base64_refused("Zh==");
        require_base64_refused("Zv==");
        // "fo" is Zm8=: the low 2 bits of '8' are padding.
        require_base64_refused("Zm9=");
        require_base64_refused("Zm+=");
        require_base64_refused("Zm/=");
    }
    SECTION("whitespace anywhere") {
        require_base64_refused(" Zm9v");
        require_base64_refused("Zm9v ");
        require_base64_refused("Zm 9v");
        require_base64_refused("Zm9v\n");
        require_base64_refused("Zm9v\r\n");
        require_base64_refused("Zm9v\tYmFy");
        require_base64_refused("Zm9vYg==\n");
    }
    SECTION("other alphabets and garbage") {
        require_base64_refused("-_-_");  // base64url alphabet
        require_base64_refused("Zm9*");
        require_base64_refused("Zm9.");
        require_base64_refused(std::string_view("Zm9v\0", 5));  // trailing NUL
        require_base64_refused("Zm9vYmFy!");                    // trailing data
        require_base64_refused("\xc3\xa9===");
    }
}
