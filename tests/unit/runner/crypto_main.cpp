// Catch2 runner of unit_tests_crypto (the crypto tests alone, linked with crypto/ only): libsodium
// is initialised once before any test runs. The full suite's runner is tests/unit/main.cpp.
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
