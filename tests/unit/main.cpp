// Catch2 runner: libsodium is initialised once before any test runs.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "crypto/random.hpp"

int main(int argc, char** argv) {
    if (!ssoescrow::crypto::initialize()) {
        std::fprintf(stderr, "libsodium failed to initialise\n");
        return 1;
    }
    return Catch::Session().run(argc, argv);
}
