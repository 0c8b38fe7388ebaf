// Catch2 runner: libsodium is initialised once before any test runs; SIGPIPE is ignored.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>

#include "crypto/random.hpp"

int main(int argc, char** argv) {
    // As in ssoescrow's own start-up (src/hardening.cpp): a write to a child that already exited
    // must fail with EPIPE, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    if (!ssoescrow::crypto::initialize()) {
        std::fprintf(stderr, "libsodium failed to initialise\n");
        return 1;
    }
    return Catch::Session().run(argc, argv);
}
