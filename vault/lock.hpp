// The vault writer lock: one writer at a time (backup, prune, rekey, policy change...).
// Read-only commands (list, check, status, restore) take no lock and write nothing.
//
// Files (relative to the vault directory):
//   locks/             directory, 0700, created by the first writer
//   locks/writer.lock  the lock itself, present only while a writer holds it
//   locks/writer.guard empty file, 0600; flock(2)-ed around every change of an EXISTING lock
//                      (refresh, release, breaking a stale one) so that two processes never both
//                      break the same lock. Creating a lock needs no guard: O_CREAT|O_EXCL lets
//                      exactly one creator win.
//   locks/.tmp-*       temp files of a lock refresh (write_file_durably); ignored by readers
//
// Lock file format (text, UTF-8, every line ends with LF, exactly these 8 lines in this order,
// one space after the key, at most 1024 bytes in total; any other form is a parse error):
//
//   ssoescrow-lock 1
//   id <32 lower-case hex digits: 128 random bits, new for every acquisition>
//   host <host name, 1..253 bytes of [A-Za-z0-9._-]; other bytes of gethostname() become '_'>
//   pid <decimal 1..2147483647, no leading zeros>
//   operation <1..32 bytes of [a-z0-9-], e.g. backup, prune>
//   started <decimal Unix seconds of the acquisition by the holder's clock>
//   refreshed <decimal Unix seconds of the last refresh by the holder's clock>
//   ttl <decimal seconds 1..604800: how long after `refreshed` the holder promises to refresh>
//
// Times are 0..253402300799 (years 1970..9999). A reader MUST refuse a first line other than
// "ssoescrow-lock 1" ("unsupported version N" for another number).
//
// When is a lock stale (may be taken over without --force)?
//   age = max(0, reader_now - refreshed)    (never negative; refreshed > reader_now + 60 s is
//                                            flagged as "in the future": clock skew)
//   - same host and kill(pid, 0) fails with ESRCH  -> stale at once (the holder died: kill -9,
//     crash, reboot); the taker gets the broken lock back to audit-log it;
//   - same host, process alive                     -> stale when age > ttl (a suspended holder);
//   - another host                                 -> stale when age > ttl + max_clock_skew
//     (default 2 h), so a clock difference of up to max_clock_skew between the two hosts never
//     breaks a live lock early; a lock from the future is never stale.
// A holder refreshes its lock (refresh()) at least every ttl/3 by its steady clock, and calls
// check_still_held() right before committing anything: if the lock file is gone or carries
// another id (somebody took it over while we were suspended) it gets Errc::lock_lost and MUST
// abort without writing.
//
// SIGINT/SIGTERM/SIGHUP (Windows: Ctrl-C, Ctrl-Break, console close, logoff, shutdown) while a
// WriterLock is held remove its lock file if it still carries the lock's id (platform/
// interrupt.hpp, step release_lock), whichever command holds it, so that the next writer and the
// other cluster node proceed at once; the process then ends as interrupted.
//
// Host identity is the host name: two machines (or containers) with the same host name and
// separate PID namespaces would see each other's pids as dead; give them distinct host names.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "platform/interrupt.hpp"
#include "vault/clock.hpp"

namespace ssoescrow::vault {

using std::filesystem::path;

// --- Interface ---

inline constexpr std::string_view k_lock_dir_name = "locks";
inline constexpr std::string_view k_lock_file_name = "writer.lock";
inline constexpr std::string_view k_lock_guard_name = "writer.guard";
inline constexpr std::size_t k_lock_file_max_size = 1024;
inline constexpr std::int64_t k_lock_max_ttl_seconds = 604800;
inline constexpr std::int64_t k_lock_future_tolerance_seconds = 60;

// The contents of a lock file.
struct LockInfo {
    std::string id;         // 32 hex digits
    std::string host;       // holder's host name
    std::int64_t pid = 0;   // holder's process id on that host
    std::string operation;  // what the holder is doing
    std::int64_t started = 0;
    std::int64_t refreshed = 0;
    std::int64_t ttl_seconds = 0;
};

// Strict parser and canonical serialiser: serialise_lock(parse_lock(x)) == x for every accepted x.
// `what` names the file in error messages.
[[nodiscard]] Result<LockInfo> parse_lock(std::string_view text, std::string_view what);
std::string serialise_lock(const LockInfo& info);

enum class LockState {
    live,           // held by a running (or possibly running) writer
    stale_dead,     // same host, the holder's process no longer exists
    stale_expired,  // not refreshed within its ttl (+ max_clock_skew for another host)
};

// A lock as judged by one reader at one moment.
struct LockStatus {
    LockInfo info;
    LockState state = LockState::live;
    bool same_host = false;
    std::int64_t age_seconds = 0;  // >= 0
    bool in_future = false;        // refreshed more than 60 s after the reader's now
};

// Why a lock was removed by someone other than its holder: the caller audit-logs this.
struct BrokenLock {
    LockStatus previous;     // what the lock file said, and how it was judged
    bool forced = false;     // true when removed by force although it looked live (or malformed)
    bool malformed = false;  // the lock file could not be parsed; `previous` is empty
};

struct LockOptions {
    std::string operation = "write";  // [a-z0-9-]{1,32}, written into the lock
    std::chrono::seconds ttl = std::chrono::minutes(15);
    std::chrono::seconds max_clock_skew = std::chrono::hours(2);
    // How long acquire() waits for a live lock to go away before failing with Errc::locked
    // (0: fail at once). Waiting uses the steady clock and sleeps poll_interval between tries.
    std::chrono::milliseconds wait{0};
    std::chrono::milliseconds poll_interval{250};
    Clock* clock = nullptr;  // nullptr: system_clock()
    std::string host;        // empty: this machine's host name (override for tests)
};

// This machine's host name as written into lock files (sanitised as described above).
std::string local_host_name();

// Reads and judges the lock of the vault at `vault_dir` without writing anything (for `vault
// check`, `vault lock status` and error messages). std::nullopt when no lock file exists.
[[nodiscard]] Result<std::optional<LockStatus>> read_lock_status(const path& vault_dir,
                                                                 const LockOptions& options);

enum class BreakMode {
    stale_only,  // remove the lock only if it is stale; a live one is refused with Errc::locked
    force,       // remove it whatever it says (operator override: `vault unlock --force`)
};

// Removes somebody else's lock (never ours: use WriterLock::release). Returns what was removed so
// the caller can audit-log it; Errc::not_found when there is no lock.
[[nodiscard]] Result<BrokenLock> break_lock(const path& vault_dir, BreakMode mode,
                                            const LockOptions& options);

// A held writer lock. Move-only; the destructor releases it (best effort) if still held.
class WriterLock {
  public:
    // Creates locks/ if needed and takes the lock: O_CREAT|O_EXCL creation of locks/writer.lock;
    // if a lock exists and is stale it is broken (see taken_over()) and creation is retried; if it
    // is live, waits up to options.wait, then fails with Errc::locked naming the holder's host,
    // pid, operation and age, with a hint. Errc::read_only on a read-only vault, no_space on a
    // full disk (nothing is left behind in either case).
    [[nodiscard]] static Result<WriterLock> acquire(const path& vault_dir,
                                                    const LockOptions& options);

    WriterLock(WriterLock&& other) noexcept;
    WriterLock& operator=(WriterLock&& other) noexcept;
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;
    ~WriterLock();

    const LockInfo& info() const noexcept { return m_info; }
    // The stale lock this acquisition broke, if any (to be audit-logged by the caller).
    const std::optional<BrokenLock>& taken_over() const noexcept { return m_taken_over; }
    bool held() const noexcept { return m_held; }

    // Re-reads the lock file: Errc::lock_lost if it is missing or carries another id (the caller
    // MUST abort without committing anything). Does not write.
    [[nodiscard]] Status check_still_held() const;

    // check_still_held(), then rewrites the lock with refreshed = now (durably, atomically).
    [[nodiscard]] Status refresh();
    // refresh() when at least ttl/3 has passed on the steady clock since the last one, else
    // only check_still_held(). Cheap enough to call at every step of a long job.
    [[nodiscard]] Status refresh_if_due();

    // Removes the lock if it is still ours (verified under the guard). A lock that is no longer
    // ours is left alone and reported as Errc::lock_lost. After release, held() is false.
    [[nodiscard]] Status release();

  private:
    WriterLock() = default;
    [[nodiscard]] Status release_on_interrupt();

    path m_lock_dir;
    LockInfo m_info;
    LockOptions m_options;
    std::optional<BrokenLock> m_taken_over;
    std::chrono::steady_clock::time_point m_last_refresh{};
    bool m_held = false;
    platform::LockReleaseOnInterrupt m_interrupt_release;
};

}  // namespace ssoescrow::vault
