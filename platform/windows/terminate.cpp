#include "platform/terminate.hpp"

#include <windows.h>

#include <cstdlib>

namespace ssoescrow::platform {

void terminate_immediately(int code) noexcept {
    ::TerminateProcess(::GetCurrentProcess(), static_cast<UINT>(code));
    // TerminateProcess on the current process does not return; _Exit only satisfies [[noreturn]].
    std::_Exit(code);
}

}  // namespace ssoescrow::platform
