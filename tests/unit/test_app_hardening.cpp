#include <catch2/catch.hpp>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/exit_codes.hpp"
#include "src/hardening.hpp"

using namespace ssoescrow;

// Runs in a child process so the test runner itself keeps its settings.
TEST_CASE("process hardening: umask 077, no core dumps, not dumpable", "[hardening]") {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::umask(0);
        struct rlimit big {
            RLIM_INFINITY, RLIM_INFINITY
        };
        ::setrlimit(RLIMIT_CORE, &big);  // may fail for the hard limit; the soft one is enough
        if (!harden_process().ok())
            _exit(10);
        mode_t previous = ::umask(0);
        if (previous != 077)
            _exit(11);
        struct rlimit core {};
        if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0) {
            _exit(12);
        }
        if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
            _exit(13);
        _exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
}

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
