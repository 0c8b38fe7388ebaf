#include "platform/terminate.hpp"

#include <unistd.h>

namespace ssoescrow::platform {

void terminate_immediately(int code) noexcept {
    ::_exit(code);
}

}  // namespace ssoescrow::platform
