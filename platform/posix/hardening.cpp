#include "platform/hardening.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <cstring>
#include <string>

namespace ssoescrow::platform {

void ignore_broken_pipes() noexcept {
    ::signal(SIGPIPE, SIG_IGN);
}

Status harden_process() {
    ::umask(077);
    // Writing to a bridge that exited early must be an error value (EPIPE), not a silent death
    // that would skip the cleanup of temp files holding a .bak.
    ignore_broken_pipes();
    struct rlimit no_core = {0, 0};
    if (::setrlimit(RLIMIT_CORE, &no_core) != 0) {
        return make_error(Errc::internal,
                          std::string("cannot disable core dumps: ") + std::strerror(errno));
    }
#ifdef __linux__
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return make_error(Errc::internal, std::string("cannot mark the process non-dumpable: ") +
                                              std::strerror(errno));
    }
#endif
    return {};
}

}  // namespace ssoescrow::platform
