// Owns a Win32 HANDLE and closes it once. Both "no handle" values Win32 uses (nullptr and
// INVALID_HANDLE_VALUE) count as none.
#pragma once

#include <windows.h>

namespace ssoescrow::platform::windows {

class UniqueHandle {
  public:
    UniqueHandle() = default;
    explicit UniqueHandle(HANDLE handle)
        : m_handle(handle == INVALID_HANDLE_VALUE ? nullptr : handle) {}
    UniqueHandle(const UniqueHandle&) = delete;
    UniqueHandle& operator=(const UniqueHandle&) = delete;
    UniqueHandle(UniqueHandle&& other) noexcept : m_handle(other.m_handle) {
        other.m_handle = nullptr;
    }
    ~UniqueHandle() { close(); }

    HANDLE get() const noexcept { return m_handle; }
    bool valid() const noexcept { return m_handle != nullptr; }
    // Closes now, ignoring errors (the destructor's behaviour).
    void close() noexcept {
        if (m_handle != nullptr)
            ::CloseHandle(m_handle);
        m_handle = nullptr;
    }
    // Closes now and returns CloseHandle's error (0 on success): where a failed close means lost
    // data, as after writing a file.
    DWORD close_checked() noexcept {
        const HANDLE handle = m_handle;
        m_handle = nullptr;
        return handle == nullptr || ::CloseHandle(handle) ? 0 : ::GetLastError();
    }

  private:
    HANDLE m_handle = nullptr;
};

}  // namespace ssoescrow::platform::windows
