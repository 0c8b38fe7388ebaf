// Cleanup when ssoescrow is interrupted while an unsealed ENTSSO backup file may exist on disk or
// a prompt has turned the terminal's echo off.
//
// POSIX: SIGINT, SIGTERM and SIGHUP. Windows: the console control events CTRL_C, CTRL_BREAK,
// CTRL_CLOSE (console window closed), CTRL_LOGOFF and CTRL_SHUTDOWN.
//
// While an InterruptCleanup is alive, or while a prompt runs with echo off
// (platform/terminal.hpp), those events run a handler that performs, in this order
// (interrupt_cleanup_order(), which the handlers themselves walk):
//   1. kill_bridge: kills the running bridge child with everything it started
//      (kill_running_child(): its process group / its Job Object), so the bridge cannot keep
//      writing a backup file after ssoescrow is gone. First, because it is the only step that
//      stops new secret data from appearing: wiping before it would race the bridge's writes;
//   2. wipe_scratch: overwrites every regular file directly inside the watched scratch directory
//      with zeros, flushes it to disk and deletes it, then removes the directory;
//   3. restore_echo: gives the terminal (termios) or console (input mode) back the state a prompt
//      saved before turning echo off. After the secret data steps, because it only matters to
//      the person at the keyboard, while a delay in 1-2 could leave a secret on disk;
//   4. end_process: POSIX restores the default action and re-raises the signal, so the parent
//      (shell, systemd) sees the usual "killed by signal N" status; Windows ends the process with
//      STATUS_CONTROL_C_EXIT (0xC000013A), the code Windows gives a process ended by Ctrl-C.
// Every step uses only async-signal-safe calls on POSIX (open, write, fsync, unlink, getdents64,
// tcsetattr, kill) and only calls that take no lock our main thread could hold on Windows (the
// handler runs on its own thread there): fixed buffers, no allocation.
//
// A writer lock held at that moment stays behind and is taken over (and audit-logged) by the
// next writer on this host, because its pid is then dead. SIGKILL / TerminateProcess cannot be
// caught: they leave the scratch directory; `backup` removes scratch directories of dead runs at
// its next start (remove_abandoned_scratch_dirs in src/backup/scratch_dir.hpp).
#pragma once

#include <array>
#include <filesystem>
#include <string_view>

#include "crypto/result.hpp"

namespace ssoescrow::platform {

enum class CleanupStep { kill_bridge, wipe_scratch, restore_echo, end_process };

// The order in which the handler runs the steps (see above).
inline constexpr std::array<CleanupStep, 4> k_interrupt_cleanup_order = {
    CleanupStep::kill_bridge, CleanupStep::wipe_scratch, CleanupStep::restore_echo,
    CleanupStep::end_process};

// A short name of the step ("kill-bridge", ...), for tests and diagnostics.
std::string_view cleanup_step_name(CleanupStep step) noexcept;

// The exit code of a process ended by the Windows console handler: STATUS_CONTROL_C_EXIT.
inline constexpr unsigned long k_windows_interrupted_exit_code = 0xC000013AUL;

// Runs the steps of k_interrupt_cleanup_order, calling `run(step)` for each in order and
// stopping after end_process. The handlers are this function with their system calls; tests
// pass a recorder. Allocates nothing.
template <typename Run>
void run_interrupt_cleanup(Run&& run) noexcept {
    for (CleanupStep step : k_interrupt_cleanup_order)
        run(step);
}

class InterruptCleanup {
  public:
    // Installs the handlers (the previous ones come back in the destructor). Only one may be
    // alive at a time (Errc::internal otherwise).
    [[nodiscard]] static Result<InterruptCleanup> install();

    InterruptCleanup(InterruptCleanup&& other) noexcept;
    InterruptCleanup& operator=(InterruptCleanup&&) = delete;
    InterruptCleanup(const InterruptCleanup&) = delete;
    InterruptCleanup& operator=(const InterruptCleanup&) = delete;
    ~InterruptCleanup();

    // The directory whose files the handler wipes (empty path: none). Errc::limit_exceeded for
    // a path longer than the handler's fixed buffer.
    [[nodiscard]] Status watch_directory(const std::filesystem::path& dir);

  private:
    InterruptCleanup() = default;
    bool m_active = false;
};

}  // namespace ssoescrow::platform
