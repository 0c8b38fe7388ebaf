// Windows process hardening and secret input from descriptors.
#include <catch2/catch.hpp>

#include <windows.h>

#include "platform/hardening.hpp"
#include "platform/secret_input.hpp"

using namespace ssoescrow;

TEST_CASE("windows hardening: no error dialogs: optional steps never fail it",
          "[hardening][windows]") {
    REQUIRE(platform::harden_process());
    const UINT mode = ::GetErrorMode();
    REQUIRE((mode & SEM_FAILCRITICALERRORS) != 0);
    REQUIRE((mode & SEM_NOGPFAULTERRORBOX) != 0);
    REQUIRE((mode & SEM_NOOPENFILEERRORBOX) != 0);
    REQUIRE(platform::harden_process());  // twice: still fine
}

TEST_CASE("a passphrase descriptor that is not open is a usage error on windows",
          "[passphrase][windows]") {
    for (int fd : {-1, 97, 100000}) {
        auto read = platform::read_secret_from_descriptor(fd, 64, "passphrase descriptor");
        REQUIRE_FALSE(read);
        REQUIRE(read.error().code == Errc::usage);
    }
}
