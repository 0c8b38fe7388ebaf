// Process hardening applied first thing in main(): umask 077 (every file we create is private
// even before its explicit chmod), no core dumps (RLIMIT_CORE 0) and not dumpable/ptrace-able by
// other processes of the same user (PR_SET_DUMPABLE 0), so secrets in memory do not end up on disk. SIGPIPE is ignored so a
// broken pipe to a child process is an error value, not sudden death.
#pragma once

#include "crypto/result.hpp"

namespace ssoescrow {

[[nodiscard]] Status harden_process();

}  // namespace ssoescrow
