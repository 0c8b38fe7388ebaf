#include "platform/interrupt.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "platform/child_process.hpp"
#include "platform/interrupt_state.hpp"
#include "platform/path_text.hpp"
#include "platform/posix/echo_state.hpp"

namespace ssoescrow::platform {
namespace {

constexpr std::array<int, 3> k_signals = {SIGINT, SIGTERM, SIGHUP};
// In the order of k_signals; the status a shell reports for a process killed by the signal.
constexpr std::array<InterruptKind, 3> k_kinds = {InterruptKind{"SIGINT", 128 + SIGINT},
                                                  InterruptKind{"SIGTERM", 128 + SIGTERM},
                                                  InterruptKind{"SIGHUP", 128 + SIGHUP}};
static_assert(k_kinds.size() <= interrupt_state::k_max_kinds);

std::size_t kind_of(int sig) {
    for (std::size_t i = 0; i < k_signals.size(); ++i) {
        if (k_signals[i] == sig)
            return i;
    }
    return k_signals.size();
}

// State read by the handler. Written only with the signals blocked (see Blocked), so the handler
// never sees a half-written value. (Watched locks and the job log's line: interrupt_state.hpp.)
char g_directory[4096];
int g_echo_fd = -1;
struct termios g_echo_saved;
std::atomic<bool> g_cleanup_installed{false};
int g_handler_users = 0;  // InterruptCleanup and/or a prompt; main thread only
struct sigaction g_previous[k_signals.size()];

class Blocked {
  public:
    Blocked() {
        sigset_t set;
        ::sigemptyset(&set);
        for (int sig : k_signals)
            ::sigaddset(&set, sig);
        ::sigprocmask(SIG_BLOCK, &set, &m_old);
    }
    ~Blocked() { ::sigprocmask(SIG_SETMASK, &m_old, nullptr); }
    Blocked(const Blocked&) = delete;
    Blocked& operator=(const Blocked&) = delete;

  private:
    sigset_t m_old;
};

// The record layout of getdents64(2).
struct LinuxDirent64 {
    std::uint64_t inode;
    std::int64_t offset;
    unsigned short record_length;
    unsigned char type;
    char name[1];
};

// Async-signal-safe: open, fstat, write, fsync, close, unlink.
void wipe_file_at(int dir_fd, const char* name) {
    int fd = ::openat(dir_fd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        struct stat st;
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            static const char zeros[4096] = {};
            off_t left = st.st_size;
            while (left > 0) {
                const size_t chunk = left > static_cast<off_t>(sizeof zeros)
                                         ? sizeof zeros
                                         : static_cast<size_t>(left);
                const ssize_t n = ::write(fd, zeros, chunk);
                if (n <= 0)
                    break;
                left -= n;
            }
            ::fsync(fd);
        }
        ::close(fd);
    }
    ::unlinkat(dir_fd, name, 0);
}

void wipe_directory() {
    if (g_directory[0] == '\0')
        return;
    int dir_fd = ::open(g_directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0)
        return;
    // getdents64 directly: opendir/readdir may allocate, which is not safe in a handler.
    alignas(8) char buffer[4096];
    for (;;) {
        const long got = ::syscall(SYS_getdents64, dir_fd, buffer, sizeof buffer);
        if (got <= 0)
            break;
        for (long offset = 0; offset < got;) {
            const auto* entry = reinterpret_cast<const LinuxDirent64*>(buffer + offset);
            if (std::strcmp(entry->name, ".") != 0 && std::strcmp(entry->name, "..") != 0)
                wipe_file_at(dir_fd, entry->name);
            offset += entry->record_length;
        }
    }
    ::close(dir_fd);
    ::rmdir(g_directory);
    g_directory[0] = '\0';
}

// "ssoescrow: interrupted by SIGTERM" on stderr, so that a log shows why the job ended (the exit
// status alone is easy to miss). One write(2) of a fixed buffer: async-signal-safe.
void report_interrupted(int sig) {
    const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
    char line[64] = "ssoescrow: interrupted by ";
    std::size_t length = std::strlen(line);
    for (const char* c = name; *c != '\0'; ++c)
        line[length++] = *c;
    line[length++] = '\n';
    [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, line, length);
}

// Whether `text` contains `needle` (both NUL-terminated). strstr is not on the async-signal-safe
// list; this loop is.
bool contains(const char* text, const char* needle) {
    for (; *text != '\0'; ++text) {
        std::size_t i = 0;
        while (needle[i] != '\0' && text[i] == needle[i])
            ++i;
        if (needle[i] == '\0')
            return true;
    }
    return false;
}

// Async-signal-safe: open, flock, read, unlink, close. The guard is taken without waiting: this
// process's own main thread may hold it (on another open file description) mid-refresh.
void release_lock(const interrupt_state::LockSlot& slot) {
    // Created when missing, as every lock change does: a lock that was never refreshed has none.
    const int guard = ::open(slot.guard_file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (guard < 0)
        return;
    if (::flock(guard, LOCK_EX | LOCK_NB) == 0) {
        const int fd = ::open(slot.lock_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) {
            char text[1100];
            std::size_t used = 0;
            while (used < sizeof text - 1) {
                const ssize_t n = ::read(fd, text + used, sizeof text - 1 - used);
                if (n <= 0)
                    break;
                used += static_cast<std::size_t>(n);
            }
            ::close(fd);
            text[used] = '\0';
            if (contains(text, slot.id_line))
                ::unlink(slot.lock_file);
        }
    }
    ::close(guard);  // also releases the flock
}

// The job log's prepared `failed` line: one write(2) (O_APPEND: never inside another line),
// then fsync, as every line of the log.
void log_failure(int sig) {
    const interrupt_state::LogLineToWrite log = interrupt_state::take_log_line(kind_of(sig));
    if (log.handle < 0 || log.line.empty())
        return;
    const int fd = static_cast<int>(log.handle);
    if (::write(fd, log.line.data(), log.line.size()) > 0)
        ::fsync(fd);
}

extern "C" void on_interrupt(int sig) {
    const int saved_errno = errno;
    run_interrupt_cleanup([sig](CleanupStep step) {
        switch (step) {
            case CleanupStep::kill_bridge:
                kill_running_child();
                break;
            case CleanupStep::wipe_scratch:
                wipe_directory();
                break;
            case CleanupStep::release_lock:
                interrupt_state::release_watched_locks(release_lock);
                break;
            case CleanupStep::restore_echo:
                if (g_echo_fd >= 0)
                    ::tcsetattr(g_echo_fd, TCSAFLUSH, &g_echo_saved);
                break;
            case CleanupStep::log_failure:
                log_failure(sig);
                break;
            case CleanupStep::end_process:
                report_interrupted(sig);
                ::signal(sig, SIG_DFL);
                ::raise(sig);  // delivered when the handler returns: the process ends with it
                break;
        }
    });
    errno = saved_errno;
}

// Main thread only, with the signals blocked.
void add_handler_user() {
    if (g_handler_users++ > 0)
        return;
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    ::sigemptyset(&action.sa_mask);
    for (int sig : k_signals)
        ::sigaddset(&action.sa_mask, sig);  // one cleanup at a time
    for (std::size_t i = 0; i < k_signals.size(); ++i)
        ::sigaction(k_signals[i], &action, &g_previous[i]);
}

void remove_handler_user() {
    if (g_handler_users == 0 || --g_handler_users > 0)
        return;
    for (std::size_t i = 0; i < k_signals.size(); ++i)
        ::sigaction(k_signals[i], &g_previous[i], nullptr);
}

}  // namespace

std::span<const InterruptKind> interrupt_kinds() noexcept {
    return k_kinds;
}

namespace interrupt_state {

void acquire_handlers() {
    Blocked blocked;
    add_handler_user();
}

void release_handlers() {
    Blocked blocked;
    remove_handler_user();
}

}  // namespace interrupt_state

namespace posix {

void echo_turned_off(int tty, const struct termios& saved) {
    Blocked blocked;
    g_echo_saved = saved;
    g_echo_fd = tty;
    add_handler_user();
}

void echo_restored() {
    Blocked blocked;
    if (g_echo_fd < 0)
        return;
    g_echo_fd = -1;
    remove_handler_user();
}

}  // namespace posix

Result<InterruptCleanup> InterruptCleanup::install() {
    bool expected = false;
    if (!g_cleanup_installed.compare_exchange_strong(expected, true))
        return make_error(Errc::internal, "interrupt cleanup installed twice");
    Blocked blocked;
    g_directory[0] = '\0';
    add_handler_user();
    InterruptCleanup cleanup;
    cleanup.m_active = true;
    return cleanup;
}

InterruptCleanup::InterruptCleanup(InterruptCleanup&& other) noexcept : m_active(other.m_active) {
    other.m_active = false;
}

InterruptCleanup::~InterruptCleanup() {
    if (!m_active)
        return;
    Blocked blocked;
    remove_handler_user();
    g_directory[0] = '\0';
    g_cleanup_installed.store(false);
}

Status InterruptCleanup::watch_directory(const std::filesystem::path& dir) {
    const std::string text = path_to_utf8(dir);
    if (text.size() >= sizeof g_directory)
        return make_error(Errc::limit_exceeded, "scratch directory path too long: " + text);
    Blocked blocked;
    std::memcpy(g_directory, text.c_str(), text.size() + 1);
    return {};
}

}  // namespace ssoescrow::platform
