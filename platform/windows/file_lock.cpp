#include "platform/file_lock.hpp"

#include <windows.h>

#include <utility>

#include "platform/path_text.hpp"
#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {

Result<ExclusiveFileLock> ExclusiveFileLock::acquire(const std::filesystem::path& file) {
    const std::string name = path_to_utf8(file);
    // FILE_FLAG_OPEN_REPARSE_POINT: a symbolic link is opened as itself and then refused, never
    // followed. FILE_SHARE_*: other processes must be able to open the file to wait for the lock.
    HANDLE handle =
        ::CreateFileW(file.c_str(), GENERIC_READ | GENERIC_WRITE,
                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS,
                      FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (handle == INVALID_HANDLE_VALUE) {
        const DWORD err = ::GetLastError();
        return make_error(err == ERROR_WRITE_PROTECT ? Errc::read_only : Errc::io,
                          "cannot open lock file " + name + ": " + windows::error_text(err));
    }
    ExclusiveFileLock lock(reinterpret_cast<std::intptr_t>(handle));
    BY_HANDLE_FILE_INFORMATION info{};
    if (::GetFileInformationByHandle(handle, &info) &&
        (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0)
        return make_error(Errc::unsafe_permissions, "lock file " + name + " is a symbolic link",
                          "remove the link; ssoescrow creates the lock file itself");
    OVERLAPPED whole_file{};
    if (!::LockFileEx(handle, LOCKFILE_EXCLUSIVE_LOCK, 0, MAXDWORD, MAXDWORD, &whole_file))
        return make_error(Errc::io,
                          "cannot lock " + name + ": " + windows::error_text(::GetLastError()));
    return lock;
}

ExclusiveFileLock::ExclusiveFileLock(ExclusiveFileLock&& other) noexcept
    : m_handle(std::exchange(other.m_handle, -1)) {}

ExclusiveFileLock& ExclusiveFileLock::operator=(ExclusiveFileLock&& other) noexcept {
    if (this != &other) {
        release();
        m_handle = std::exchange(other.m_handle, -1);
    }
    return *this;
}

ExclusiveFileLock::~ExclusiveFileLock() {
    release();
}

void ExclusiveFileLock::release() noexcept {
    if (m_handle == -1)
        return;
    HANDLE handle = reinterpret_cast<HANDLE>(m_handle);
    OVERLAPPED whole_file{};
    ::UnlockFileEx(handle, 0, MAXDWORD, MAXDWORD, &whole_file);
    ::CloseHandle(handle);
    m_handle = -1;
}

}  // namespace ssoescrow::platform
