#include <catch2/catch.hpp>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/hardening.hpp"

using namespace ssoescrow;
using platform::harden_process;

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
