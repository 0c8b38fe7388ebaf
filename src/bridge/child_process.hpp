// Runs one bridge process: no shell, the request written to its stdin (then closed), stdout and
// stderr collected, everything bounded.
//
// - The child gets its own process group; on timeout the whole group is killed (SIGKILL) and the
//   child reaped, so a hung bridge (or a grandchild it started) cannot outlive the call.
// - stdout above max_stdout_bytes is a failure (the child is killed); stderr is drained but only
//   its last max_stderr_bytes are kept, for diagnostics.
// - The request may hold a password: it is taken as SecretBytes and only ever written to the pipe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::bridge {

struct ChildLimits {
    std::chrono::milliseconds timeout{std::chrono::seconds(120)};
    std::size_t max_stdout_bytes = 1 << 20;
    std::size_t max_stderr_bytes = 16 << 10;
};

struct ChildOutcome {
    enum class Ending { exited, signalled, timed_out, output_too_large };
    Ending ending = Ending::exited;
    int exit_status = 0;  // exit code, or the signal number when signalled
    std::string stdout_text;
    std::string stderr_tail;
    std::chrono::milliseconds elapsed{0};
};

// Errc::bridge_failed when the program cannot be started (names it and the reason). Everything
// that happens after a successful start is reported in ChildOutcome for the caller to judge.
// The process group of the bridge child running right now, or 0. Async-signal-safe (a lock-free
// atomic): the interrupt handler (src/interrupt.hpp) kills this group before it exits, so a
// bridge never outlives an interrupted ssoescrow.
int running_child_group() noexcept;

Result<ChildOutcome> run_child(const std::vector<std::string>& argv,
                               const crypto::SecretBytes& request, const ChildLimits& limits);

}  // namespace ssoescrow::bridge
