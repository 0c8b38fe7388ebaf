#include "platform/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "platform/path_text.hpp"

namespace ssoescrow::platform {

Result<ExclusiveFileLock> ExclusiveFileLock::acquire(const std::filesystem::path& file) {
    const std::string name = path_to_utf8(file);
    int fd;
    do {
        fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        const int err = errno;
        if (err == ELOOP)
            return make_error(Errc::unsafe_permissions, "lock file " + name + " is a symbolic link",
                              "remove the link; ssoescrow creates the lock file itself");
        return make_error(err == EROFS ? Errc::read_only : Errc::io,
                          "cannot open lock file " + name + ": " + std::strerror(err));
    }
    ExclusiveFileLock lock(fd);
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR)
            return make_error(Errc::io, "cannot lock " + name + ": " + std::strerror(errno));
    }
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
    if (m_handle >= 0)
        ::close(static_cast<int>(m_handle));  // closing drops the flock
    m_handle = -1;
}

}  // namespace ssoescrow::platform
