// Cleanup when ssoescrow is interrupted while an unsealed ENTSSO backup file may exist on disk,
// a writer lock is held, a job log is open or a prompt has turned the terminal's echo off.
//
// POSIX: SIGINT, SIGTERM and SIGHUP. Windows: the console control events CTRL_C, CTRL_BREAK,
// CTRL_CLOSE (console window closed), CTRL_LOGOFF and CTRL_SHUTDOWN.
//
// While an InterruptCleanup, a LockReleaseOnInterrupt or an InterruptLogLine is alive, or while a
// prompt runs with echo off (platform/terminal.hpp), those events run a handler that performs, in
// this order (k_interrupt_cleanup_order, which the handlers themselves walk):
//   1. kill_bridge: kills the running bridge child with everything it started
//      (kill_running_child(): its process group / its Job Object), so the bridge cannot keep
//      writing a backup file after ssoescrow is gone. First, because it is the only step that
//      stops new secret data from appearing: wiping before it would race the bridge's writes;
//   2. wipe_scratch: overwrites every regular file directly inside the watched scratch directory
//      with zeros, flushes it to disk and deletes it, then removes the directory;
//   3. release_lock: removes every writer lock the process holds (LockReleaseOnInterrupt, which
//      vault::WriterLock keeps for each lock it holds), but only if the lock file still names
//      that lock's id, checked under the lock's guard file taken without waiting (a guard held at
//      that moment means the lock is being changed: it is then left to the next writer's
//      stale-lock takeover). So the next run and the other cluster node need no takeover. After
//      the secret data steps, which matter more;
//   4. restore_echo: gives the terminal (termios) or console (input mode) back the state a prompt
//      saved before turning echo off. After the secret data steps, because it only matters to
//      the person at the keyboard, while a delay in 1-2 could leave a secret on disk;
//   5. log_failure: appends the job log's prepared `failed` line for this interrupt
//      (InterruptLogLine) with one write(2) / WriteFile to the log's open handle, and flushes it;
//   6. end_process: says "ssoescrow: interrupted by SIGTERM" (Windows: "by Ctrl-C", ...) on
//      stderr, then POSIX restores the default action and re-raises the signal, so the parent
//      (shell, systemd) sees the usual "killed by signal N" status; Windows ends the process with
//      STATUS_CONTROL_C_EXIT (0xC000013A), the code Windows gives a process ended by Ctrl-C.
// Every step uses only async-signal-safe calls on POSIX (open, write, fsync, unlink, getdents64,
// tcsetattr, kill) and only calls that take no lock our main thread could hold on Windows (the
// handler runs on its own thread there): fixed buffers, no allocation. The state the handler
// reads is published through lock-free atomics, so it never sees a half-written path or line.
//
// A writer lock whose guard was busy stays behind and is taken over (and audit-logged) by the
// next writer on this host, because its pid is then dead. SIGKILL / TerminateProcess cannot be
// caught: they leave the scratch directory; `backup` removes scratch directories of dead runs at
// its next start (remove_abandoned_scratch_dirs in src/backup/scratch_dir.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "platform/file_io.hpp"

namespace ssoescrow::platform {

enum class CleanupStep {
    kill_bridge,
    wipe_scratch,
    release_lock,
    restore_echo,
    log_failure,
    end_process
};

// The order in which the handler runs the steps (see above).
inline constexpr std::array<CleanupStep, 6> k_interrupt_cleanup_order = {
    CleanupStep::kill_bridge,  CleanupStep::wipe_scratch, CleanupStep::release_lock,
    CleanupStep::restore_echo, CleanupStep::log_failure,  CleanupStep::end_process};

// A short name of the step ("kill-bridge", ...), for tests and diagnostics.
std::string_view cleanup_step_name(CleanupStep step) noexcept;

// The exit code of a process ended by the Windows console handler: STATUS_CONTROL_C_EXIT.
inline constexpr unsigned long k_windows_interrupted_exit_code = 0xC000013AUL;

// One interrupt the handler catches on this platform.
struct InterruptKind {
    std::string_view name;     // "SIGINT", "SIGTERM", "SIGHUP"; "CTRL_C_EVENT", ... on Windows
    std::int64_t exit_status;  // what the parent sees: 128+N on POSIX, 0xC000013A on Windows
};

// The interrupts of this platform, in a fixed order (InterruptLogLine::prepare takes one line
// per entry, in this order).
std::span<const InterruptKind> interrupt_kinds() noexcept;

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

// A held writer lock that step 3 releases while this object lives (vault::WriterLock keeps one
// per lock it holds). Up to k_max_watched_locks at a time in one process.
class LockReleaseOnInterrupt {
  public:
    static constexpr std::size_t k_max_watched_locks = 8;

    LockReleaseOnInterrupt() noexcept = default;  // watches nothing

    // `lock_file` is removed by the handler only while it holds the line "id <lock_id>", checked
    // under an exclusive lock on `guard_file`. Errc::limit_exceeded for paths longer than the
    // handler's fixed buffers; Errc::internal when k_max_watched_locks are watched already.
    [[nodiscard]] static Result<LockReleaseOnInterrupt> watch(
        const std::filesystem::path& lock_file, const std::filesystem::path& guard_file,
        std::string_view lock_id);

    LockReleaseOnInterrupt(LockReleaseOnInterrupt&& other) noexcept;
    LockReleaseOnInterrupt& operator=(LockReleaseOnInterrupt&& other) noexcept;
    LockReleaseOnInterrupt(const LockReleaseOnInterrupt&) = delete;
    LockReleaseOnInterrupt& operator=(const LockReleaseOnInterrupt&) = delete;
    ~LockReleaseOnInterrupt();

    // Stops watching (call it before releasing the lock normally). Idempotent.
    void forget() noexcept;

  private:
    explicit LockReleaseOnInterrupt(int slot) noexcept : m_slot(slot) {}
    int m_slot = -1;
};

// The last line of a job log written by an interrupt (step 5): while this object lives, the
// handler appends the prepared line of the interrupt that came to `log` with a single write
// (the line is complete in advance: the handler formats nothing). One at a time per process.
class InterruptLogLine {
  public:
    static constexpr std::size_t k_max_line = 2048;

    // `log` must stay open while this object lives. Errc::internal when one is alive already.
    [[nodiscard]] static Result<InterruptLogLine> watch(const AppendOnlyFile& log);

    InterruptLogLine(InterruptLogLine&& other) noexcept;
    InterruptLogLine& operator=(InterruptLogLine&&) = delete;
    InterruptLogLine(const InterruptLogLine&) = delete;
    InterruptLogLine& operator=(const InterruptLogLine&) = delete;
    ~InterruptLogLine();

    // Replaces the prepared lines: lines[i] is written for interrupt_kinds()[i]; each ends with a
    // newline. Errc::invalid_argument for a wrong count, Errc::limit_exceeded for a line longer
    // than k_max_line (the previous lines stay). Cheap: a copy into the handler's buffer.
    [[nodiscard]] Status prepare(std::span<const std::string> lines);

  private:
    InterruptLogLine() = default;
    bool m_active = false;
};

}  // namespace ssoescrow::platform
