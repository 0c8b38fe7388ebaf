#include "platform/interrupt.hpp"

#include <windows.h>

#include <array>
#include <atomic>
#include <cstring>
#include <cwchar>
#include <mutex>

#include "platform/child_process.hpp"
#include "platform/interrupt_state.hpp"
#include "platform/path_text.hpp"
#include "platform/windows/echo_state.hpp"

namespace ssoescrow::platform {
namespace {

// The console control handler runs on a thread of its own while the main thread goes on, so the
// state it reads is published with atomics: the directory is written into the buffer first and
// then g_directory_ready is set; watch_directory clears the flag before it rewrites the buffer.
constexpr std::size_t k_max_directory = 4096;
wchar_t g_directory[k_max_directory];
std::atomic<bool> g_directory_ready{false};
// (Watched locks and the job log's line: interrupt_state.hpp.)
std::atomic<HANDLE> g_echo_console{nullptr};
std::atomic<DWORD> g_echo_mode{0};
std::atomic<bool> g_cleanup_installed{false};
std::mutex g_users_mutex;  // main-thread bookkeeping only; the handler never takes it
int g_handler_users = 0;

// In the order the handler maps events to (kind_of).
constexpr std::array<InterruptKind, 5> k_kinds = {
    InterruptKind{"CTRL_C_EVENT", k_windows_interrupted_exit_code},
    InterruptKind{"CTRL_BREAK_EVENT", k_windows_interrupted_exit_code},
    InterruptKind{"CTRL_CLOSE_EVENT", k_windows_interrupted_exit_code},
    InterruptKind{"CTRL_LOGOFF_EVENT", k_windows_interrupted_exit_code},
    InterruptKind{"CTRL_SHUTDOWN_EVENT", k_windows_interrupted_exit_code}};
static_assert(k_kinds.size() <= interrupt_state::k_max_kinds);

std::size_t kind_of(DWORD event) {
    switch (event) {
        case CTRL_C_EVENT:
            return 0;
        case CTRL_BREAK_EVENT:
            return 1;
        case CTRL_CLOSE_EVENT:
            return 2;
        case CTRL_LOGOFF_EVENT:
            return 3;
        default:
            return 4;
    }
}

// Overwrites one regular file with zeros, flushes it to disk and deletes it. A reparse point
// (symbolic link, junction) is deleted without being followed.
void wipe_file(const wchar_t* file, const WIN32_FIND_DATAW& entry) {
    if ((entry.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0) {
        HANDLE handle = ::CreateFileW(
            file, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
            OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_WRITE_THROUGH, nullptr);
        if (handle != INVALID_HANDLE_VALUE) {
            static const char zeros[4096] = {};
            LARGE_INTEGER size{};
            if (::GetFileSizeEx(handle, &size)) {
                long long left = size.QuadPart;
                while (left > 0) {
                    const DWORD chunk = left > static_cast<long long>(sizeof zeros)
                                            ? sizeof zeros
                                            : static_cast<DWORD>(left);
                    DWORD written = 0;
                    if (!::WriteFile(handle, zeros, chunk, &written, nullptr) || written == 0)
                        break;
                    left -= written;
                }
                ::FlushFileBuffers(handle);
            }
            ::CloseHandle(handle);
        }
    }
    ::SetFileAttributesW(file, FILE_ATTRIBUTE_NORMAL);  // a read-only file can be deleted too
    ::DeleteFileW(file);
}

void wipe_directory() {
    if (!g_directory_ready.load())
        return;
    const std::size_t length = std::wcslen(g_directory);
    wchar_t file[k_max_directory + MAX_PATH + 2];
    std::wmemcpy(file, g_directory, length);
    file[length] = L'\\';
    file[length + 1] = L'*';
    file[length + 2] = L'\0';
    WIN32_FIND_DATAW entry;
    HANDLE find =
        ::FindFirstFileExW(file, FindExInfoBasic, &entry, FindExSearchNameMatch, nullptr, 0);
    if (find != INVALID_HANDLE_VALUE) {
        do {
            if (std::wcscmp(entry.cFileName, L".") == 0 || std::wcscmp(entry.cFileName, L"..") == 0)
                continue;
            if ((entry.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 &&
                (entry.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0)
                continue;  // the bridge writes files only; a directory stays (and keeps ours)
            const std::size_t name = std::wcslen(entry.cFileName);
            std::wmemcpy(file + length + 1, entry.cFileName, name + 1);
            wipe_file(file, entry);
        } while (::FindNextFileW(find, &entry));
        ::FindClose(find);
    }
    ::RemoveDirectoryW(g_directory);
    g_directory_ready.store(false);
}

// "ssoescrow: interrupted by Ctrl-C" (or the other event) on stderr, so that a log shows why the
// job ended. A fixed string and one WriteFile: nothing that takes a lock the main thread may hold.
void report_interrupted(DWORD event) {
    const char* line = event == CTRL_C_EVENT       ? "ssoescrow: interrupted by Ctrl-C\r\n"
                       : event == CTRL_BREAK_EVENT ? "ssoescrow: interrupted by Ctrl-Break\r\n"
                       : event == CTRL_CLOSE_EVENT
                           ? "ssoescrow: interrupted: console closed\r\n"
                           : "ssoescrow: interrupted: logoff or shutdown\r\n";
    DWORD written = 0;
    ::WriteFile(::GetStdHandle(STD_ERROR_HANDLE), line, static_cast<DWORD>(std::strlen(line)),
                &written, nullptr);
}

// The guard is locked without waiting (LOCKFILE_FAIL_IMMEDIATELY): the main thread may hold it
// through its own handle mid-refresh. Only calls that take no lock the main thread may hold.
void release_lock(const interrupt_state::LockSlot& slot) {
    HANDLE guard = ::CreateFileW(slot.guard_file, GENERIC_READ | GENERIC_WRITE,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                 OPEN_ALWAYS, FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (guard == INVALID_HANDLE_VALUE)
        return;
    OVERLAPPED whole_file{};
    if (::LockFileEx(guard, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, MAXDWORD,
                     MAXDWORD, &whole_file)) {
        HANDLE lock = ::CreateFileW(slot.lock_file, GENERIC_READ,
                                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                    OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
        if (lock != INVALID_HANDLE_VALUE) {
            char text[1100];
            DWORD used = 0;
            ::ReadFile(lock, text, sizeof text - 1, &used, nullptr);
            ::CloseHandle(lock);
            text[used] = '\0';
            if (std::strstr(text, slot.id_line) != nullptr)
                ::DeleteFileW(slot.lock_file);
        }
        OVERLAPPED unlock_range{};
        ::UnlockFileEx(guard, 0, MAXDWORD, MAXDWORD, &unlock_range);
    }
    ::CloseHandle(guard);
}

// The job log's prepared `failed` line: one WriteFile to the handle opened for appending (never
// inside another line), then FlushFileBuffers, as every line of the log.
void log_failure(DWORD event) {
    const interrupt_state::LogLineToWrite log = interrupt_state::take_log_line(kind_of(event));
    if (log.handle == -1 || log.line.empty())
        return;
    HANDLE file = reinterpret_cast<HANDLE>(log.handle);
    DWORD written = 0;
    if (::WriteFile(file, log.line.data(), static_cast<DWORD>(log.line.size()), &written, nullptr))
        ::FlushFileBuffers(file);
}

BOOL WINAPI on_console_event(DWORD event) {
    switch (event) {
        case CTRL_C_EVENT:
        case CTRL_BREAK_EVENT:
        case CTRL_CLOSE_EVENT:
        case CTRL_LOGOFF_EVENT:
        case CTRL_SHUTDOWN_EVENT:
            break;
        default:
            return FALSE;
    }
    run_interrupt_cleanup([event](CleanupStep step) {
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
                if (HANDLE console = g_echo_console.load(); console != nullptr)
                    ::SetConsoleMode(console, g_echo_mode.load());
                break;
            case CleanupStep::log_failure:
                log_failure(event);
                break;
            case CleanupStep::end_process:
                report_interrupted(event);
                // TerminateProcess, not ExitProcess: the main thread may hold the C runtime's
                // locks, which ExitProcess's clean-up would then wait for.
                ::TerminateProcess(::GetCurrentProcess(),
                                   static_cast<UINT>(k_windows_interrupted_exit_code));
                break;
        }
    });
    return TRUE;
}

void add_handler_user() {
    std::lock_guard lock(g_users_mutex);
    if (g_handler_users++ == 0)
        ::SetConsoleCtrlHandler(on_console_event, TRUE);
}

void remove_handler_user() {
    std::lock_guard lock(g_users_mutex);
    if (g_handler_users == 0 || --g_handler_users > 0)
        return;
    ::SetConsoleCtrlHandler(on_console_event, FALSE);
}

}  // namespace

std::span<const InterruptKind> interrupt_kinds() noexcept {
    return k_kinds;
}

namespace interrupt_state {

void acquire_handlers() {
    add_handler_user();
}

void release_handlers() {
    remove_handler_user();
}

}  // namespace interrupt_state

namespace windows {

void echo_turned_off(HANDLE console_input, DWORD saved_mode) {
    g_echo_mode.store(saved_mode);
    g_echo_console.store(console_input);
    add_handler_user();
}

void echo_restored() {
    if (g_echo_console.exchange(nullptr) != nullptr)
        remove_handler_user();
}

}  // namespace windows

Result<InterruptCleanup> InterruptCleanup::install() {
    bool expected = false;
    if (!g_cleanup_installed.compare_exchange_strong(expected, true))
        return make_error(Errc::internal, "interrupt cleanup installed twice");
    g_directory_ready.store(false);
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
    remove_handler_user();
    g_directory_ready.store(false);
    g_cleanup_installed.store(false);
}

Status InterruptCleanup::watch_directory(const std::filesystem::path& dir) {
    std::wstring text = dir.wstring();
    while (text.size() > 3 && (text.back() == L'\\' || text.back() == L'/'))
        text.pop_back();
    // Room for "\" + a file name (MAX_PATH) in the handler's buffer.
    if (text.size() >= k_max_directory) {
        return make_error(Errc::limit_exceeded,
                          "scratch directory path too long: " + path_to_utf8(dir));
    }
    g_directory_ready.store(false);
    if (text.empty())
        return {};
    std::wmemcpy(g_directory, text.c_str(), text.size() + 1);
    g_directory_ready.store(true);
    return {};
}

}  // namespace ssoescrow::platform
