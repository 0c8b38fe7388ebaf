#include <catch2/catch.hpp>

#include <type_traits>

#include "crypto/secret_bytes.hpp"

using ssoescrow::crypto::SecretBytes;

TEST_CASE("SecretBytes is move-only and not convertible to std::string", "[crypto]") {
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<SecretBytes>);
    STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<SecretBytes>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<SecretBytes>);
    STATIC_REQUIRE_FALSE(std::is_convertible_v<SecretBytes, std::string>);
}

TEST_CASE("SecretBytes starts zeroed, moves and compares in constant time", "[crypto]") {
    SecretBytes a(32);
    REQUIRE(a.size() == 32);
    for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == 0);

    SecretBytes r = SecretBytes::random(32);
    SecretBytes copy = r.clone();
    REQUIRE(r.equals(copy));
    copy[31] ^= 1;
    REQUIRE_FALSE(r.equals(copy));

    SecretBytes moved = std::move(r);
    REQUIRE(moved.size() == 32);
    REQUIRE(r.size() == 0);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    REQUIRE(r.empty());

    REQUIRE_FALSE(moved.equals(SecretBytes(31)));
    REQUIRE(SecretBytes().equals(SecretBytes()));
}

TEST_CASE("SecretBytes truncate wipes the tail and reset frees", "[crypto]") {
    SecretBytes s = SecretBytes::random(16);
    s.truncate(4);
    REQUIRE(s.size() == 4);
    s.truncate(10);  // growing is not allowed: size stays
    REQUIRE(s.size() == 4);
    s.reset();
    REQUIRE(s.empty());
    REQUIRE(s.data() == nullptr);
}
