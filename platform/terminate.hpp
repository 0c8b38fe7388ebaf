// Ending the process on the spot, for the test builds' crash points: no destructor, no atexit
// handler and no stdio flush runs, as after kill -9 or a power loss.
#pragma once

namespace ssoescrow::platform {

// _exit(code) on POSIX; TerminateProcess(GetCurrentProcess(), code) on Windows.
[[noreturn]] void terminate_immediately(int code) noexcept;

}  // namespace ssoescrow::platform
