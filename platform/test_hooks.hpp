// Test-only hooks: named crash points and I/O fault injection.
//
// They exist only in builds configured with -DSSOESCROW_TEST_HOOKS=ON (which defines the macro
// SSOESCROW_TEST_HOOKS). In every other build the functions below are empty inline functions,
// the environment variables are never read, and the compiler removes the calls.
//
// Crash points: SSOESCROW_TEST_CRASH_AT=NAME[:N]
//   crash_point(NAME) ends the process immediately with exit code 137 (what a shell reports for
//   kill -9; platform::terminate_immediately), without flushing stdio or running destructors, the
//   N-th time (default: the first) the point is reached in this process. Names used by
//   platform/*/file_io.cpp (write_file_durably):
//     after-temp-create   temp file exists, empty
//     after-temp-write    temp file complete, not fsynced
//     after-fsync         temp file complete and fsynced, no final name yet
//     after-rename        final name in place, directory not fsynced
//     after-link          (link fallback of Overwrite::no) final and temp names both exist
//     after-temp-unlink   (link fallback of Overwrite::no) temp gone, directory not fsynced
//     after-fsync-dir     committed, just before success is reported
//   write_secret_file_exclusive: secret-after-create, secret-after-write
//   vault/lock.cpp: lock-after-create (lock file created, not yet fsynced/reported),
//     lock-before-release (still held, about to be removed)
//   Other modules add their own points with their own prefix (e.g. "backup-after-envelope").
//
// Pause points: SSOESCROW_TEST_PAUSE_AT=NAME[:N]
//   pause_point(NAME) writes "ssoescrow: test: paused at NAME" on stderr and sleeps for
//   k_pause_seconds, then goes on, the N-th time (default: the first) the point is reached, so
//   that an end-to-end test can send a signal to a job at a known point. Names:
//     lock-acquired   vault/lock.cpp: a writer lock was just taken (every writer command)
//
// Fault injection: SSOESCROW_TEST_FAULT=ERR:OP[:N][,ERR:OP[:N]...]
//   The N-th call (default: the first) in this process of operation OP fails with error ERR,
//   once. ERR is one of enospc, edquot, eio, erofs, eacces, eperm, eintr, einval (the errno of
//   that name on POSIX; on Windows the Win32 error that means the same: ERROR_DISK_FULL,
//   ERROR_DISK_QUOTA_EXCEEDED, ERROR_IO_DEVICE, ERROR_WRITE_PROTECT, ERROR_ACCESS_DENIED (eacces
//   and eperm), ERROR_OPERATION_ABORTED, ERROR_INVALID_PARAMETER). OP is one of
//     open       creating a temp, secret, lock or appended file; mkdir
//     write      each write(2) / WriteFile call
//     fsync      fsync of a file (FlushFileBuffers)
//     fsync-dir  fsync of a directory
//     rename     the commit step: rename(2), renameat2(2) or link(2); MoveFileExW
//     rename-noreplace  renameat2(RENAME_NOREPLACE) only: "einval:rename-noreplace" forces the
//                link(2) fallback of Overwrite::no
//     read       each read(2) / ReadFile call
//   Counters restart whenever the variable's value changes (or reset_counters() is called).
//
// Clock: SSOESCROW_TEST_NOW=<Unix seconds> fixes what vault::system_clock() reports.
//
// The hooks live in the platform layer because the file functions they fault are there; every
// layer above uses them through this header.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ssoescrow::platform::test_hooks {

#ifdef SSOESCROW_TEST_HOOKS

inline constexpr bool k_enabled = true;

// Ends the process with exit code 137 if SSOESCROW_TEST_CRASH_AT names this point (see above).
void crash_point(std::string_view name) noexcept;

inline constexpr int k_pause_seconds = 30;

// Pauses if SSOESCROW_TEST_PAUSE_AT names this point (see above).
void pause_point(std::string_view name) noexcept;

// The system error to inject for this call of `operation` (an errno on POSIX, a Win32 error on
// Windows), or 0 to run the real system call.
int injected_fault(std::string_view operation) noexcept;

// Forgets all occurrence counts, as if the process had just started (for tests that set the
// same variable value again in one process).
void reset_counters() noexcept;

// SSOESCROW_TEST_NOW=<Unix seconds>: system_clock() reports this time instead of the real one
// (end-to-end tests of prune and freshness with backups "made" in the past). std::nullopt when
// unset or malformed.
std::optional<std::int64_t> fixed_now() noexcept;

#else

inline constexpr bool k_enabled = false;

inline void crash_point(std::string_view) noexcept {}
inline void pause_point(std::string_view) noexcept {}
inline int injected_fault(std::string_view) noexcept {
    return 0;
}
inline void reset_counters() noexcept {}
inline std::optional<std::int64_t> fixed_now() noexcept {
    return std::nullopt;
}

#endif

}  // namespace ssoescrow::platform::test_hooks
