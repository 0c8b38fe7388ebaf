// Runs one child process (the SSO bridge): no shell, the request written to its stdin (then
// closed), stdout and stderr collected, everything bounded.
//
// - POSIX: the child gets its own process group; on timeout the whole group is killed (SIGKILL)
//   and the child reaped, so a hung bridge (or a grandchild it started) cannot outlive the call.
// - Windows: the child is created suspended, put into a Job Object with
//   JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, then resumed; on timeout the job is terminated, which
//   kills every process the bridge started (powershell.exe and whatever it ran), and closing the
//   job at the end kills anything still left. Only the child's ends of the three pipes are
//   inherited (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), and its command line is built so that its
//   CommandLineToArgvW gives back exactly `argv` (join_windows_command_line).
// - stdout above max_stdout_bytes is a failure (the child is killed); stderr is drained but only
//   its last max_stderr_bytes are kept, for diagnostics.
// - The request may hold a password: it is taken as SecretBytes and only ever written to the pipe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::platform {

// How long the output is still read after the bridge itself has exited: what it wrote before
// exiting is in the pipes already; anything still holding them open after that (a process the
// bridge started and left running) is killed with the rest of the bridge, instead of holding the
// caller until its timeout.
inline constexpr std::chrono::milliseconds k_output_grace_after_exit{500};

struct ChildLimits {
    std::chrono::milliseconds timeout{std::chrono::seconds(120)};
    std::size_t max_stdout_bytes = 1 << 20;
    std::size_t max_stderr_bytes = 16 << 10;
};

struct ChildOutcome {
    // `signalled` happens only on POSIX: on Windows a crash is an exit code (0xC0000005 ...).
    enum class Ending { exited, signalled, timed_out, output_too_large };
    Ending ending = Ending::exited;
    int exit_status = 0;  // exit code, or the signal number when signalled
    std::string stdout_text;
    std::string stderr_tail;
    std::chrono::milliseconds elapsed{0};
};

// Errc::bridge_failed when the program cannot be started (names it and the reason); Errc::usage
// for an empty argv. Everything that happens after a successful start is reported in
// ChildOutcome for the caller to judge.
Result<ChildOutcome> run_child(const std::vector<std::string>& argv,
                               const crypto::SecretBytes& request, const ChildLimits& limits);

// Kills the child that run_child is running right now, with everything it started (POSIX: its
// process group; Windows: its Job Object); nothing when none runs. Async-signal-safe and safe
// from a console control handler's thread (lock-free atomics, one system call): the interrupt
// cleanup (platform/interrupt.hpp) calls it so a bridge never outlives an interrupted ssoescrow.
void kill_running_child() noexcept;

}  // namespace ssoescrow::platform
