#include <catch2/catch.hpp>

#include "src/exit_codes.hpp"

using namespace ssoescrow;

TEST_CASE("every error code maps to a documented exit code", "[exit-codes]") {
    REQUIRE(exit_code_for(Errc::usage) == k_exit_usage);
    REQUIRE(exit_code_for(Errc::wrong_passphrase) == k_exit_auth);
    REQUIRE(exit_code_for(Errc::too_few_shares) == k_exit_auth);
    REQUIRE(exit_code_for(Errc::no_space) == k_exit_io);
    REQUIRE(exit_code_for(Errc::already_exists) == k_exit_refused);
    REQUIRE(exit_code_for(Errc::locked) == k_exit_locked);
    REQUIRE(exit_code_for(Errc::vault_damaged) == k_exit_vault_damaged);
    REQUIRE(exit_code_for(Errc::bridge_failed) == k_exit_bridge);
    REQUIRE(exit_code_for(Errc::entsso_error) == k_exit_entsso);
    REQUIRE(exit_code_for(Errc::policy_mismatch) == k_exit_policy);
    REQUIRE(exit_code_for(Errc::internal) == k_exit_failure);
    // Every Errc maps somewhere in 1..11 (never 0: an error is never success).
    for (int code = 0; code <= static_cast<int>(Errc::internal); ++code) {
        int exit = exit_code_for(static_cast<Errc>(code));
        REQUIRE(exit >= 1);
        REQUIRE(exit <= 11);
    }
}
