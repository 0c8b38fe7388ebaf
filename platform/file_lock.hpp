// An exclusive lock on a lock file, held for a short critical section by processes that share a
// directory (the vault's writer guard, the SSO emulator's state). flock(2) on POSIX; LockFileEx
// on Windows, which SMB file shares honour across machines.
#pragma once

#include <cstdint>
#include <filesystem>

#include "crypto/result.hpp"

namespace ssoescrow::platform {

class ExclusiveFileLock {
  public:
    // Opens `file` (created owner-only when missing; a symbolic link is refused, never followed)
    // and blocks until this process holds the exclusive lock on it. Errors name the file.
    [[nodiscard]] static Result<ExclusiveFileLock> acquire(const std::filesystem::path& file);

    ExclusiveFileLock(ExclusiveFileLock&& other) noexcept;
    ExclusiveFileLock& operator=(ExclusiveFileLock&& other) noexcept;
    ExclusiveFileLock(const ExclusiveFileLock&) = delete;
    ExclusiveFileLock& operator=(const ExclusiveFileLock&) = delete;
    ~ExclusiveFileLock();  // releases the lock and closes the file

  private:
    explicit ExclusiveFileLock(std::intptr_t handle) noexcept : m_handle(handle) {}
    void release() noexcept;
    std::intptr_t m_handle = -1;  // a descriptor on POSIX, a HANDLE on Windows; -1: none
};

}  // namespace ssoescrow::platform
