// Catch2 runner: libsodium is initialised once before any test runs; broken pipes are errors.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "crypto/random.hpp"
#include "platform/hardening.hpp"

int main(int argc, char** argv) {
    // As in ssoescrow's own start-up (platform/hardening.hpp): a write to a child that already
    // exited must fail with EPIPE, not kill the process.
    ssoescrow::platform::ignore_broken_pipes();
    if (!ssoescrow::crypto::initialize()) {
        std::fprintf(stderr, "libsodium failed to initialise\n");
        return 1;
    }
    return Catch::Session().run(argc, argv);
}
