// Internal to the platform layer: what its two implementations share with its portable code.
#pragma once

#include <string_view>

namespace ssoescrow::platform::detail {

// The system's own error code for a fault name of SSOESCROW_TEST_FAULT ("enospc", "eio", ...):
// the errno of that name on POSIX, the Win32 error with the same meaning on Windows; 0 for a
// name that is not known. See platform/test_hooks.hpp.
int native_error_for_fault(std::string_view name) noexcept;

}  // namespace ssoescrow::platform::detail
