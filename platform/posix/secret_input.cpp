#include "platform/secret_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/path_text.hpp"
#include "platform/posix/input_file.hpp"

namespace ssoescrow::platform {
namespace {

using crypto::SecretBytes;

class FdCloser {
  public:
    explicit FdCloser(int fd) : m_fd(fd) {}
    ~FdCloser() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FdCloser(const FdCloser&) = delete;
    FdCloser& operator=(const FdCloser&) = delete;

  private:
    int m_fd;
};

Result<SecretBytes> read_all(int fd, std::size_t max_size, const std::string& what) {
    SecretBytes buffer(max_size + 1);  // one more: to see that the input is too long
    std::size_t used = 0;
    for (;;) {
        if (used == buffer.size()) {
            return make_error(Errc::limit_exceeded,
                              what + ": longer than " + std::to_string(max_size) + " bytes");
        }
        const ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return make_error(Errc::io, what + ": cannot read: " + std::strerror(errno));
        if (n == 0)
            break;
        used += static_cast<std::size_t>(n);
    }
    buffer.truncate(used);
    return buffer;
}

}  // namespace

Result<SecretBytes> read_owner_only_secret_file(const std::string& path, std::size_t max_size) {
    // O_NONBLOCK: a FIFO given by mistake is refused below instead of waiting for a writer.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP) {
            return make_error(Errc::unsafe_permissions, path + ": the file is a symbolic link",
                              "point the option at the file itself");
        }
        return make_error(errno == ENOENT ? Errc::not_found : Errc::io,
                          path + ": cannot open: " + std::strerror(errno));
    }
    FdCloser closer(fd);
    struct stat info {};
    if (::fstat(fd, &info) != 0)
        return make_error(Errc::io, path + ": cannot stat: " + std::strerror(errno));
    TRY(posix::require_regular_file(info.st_mode, path_from_utf8(path)));
    if ((info.st_mode & 077) != 0) {
        return make_error(Errc::unsafe_permissions, path + ": readable or writable by others",
                          "chmod 600 " + path);
    }
    if (info.st_uid != ::geteuid()) {
        return make_error(Errc::unsafe_permissions, path + ": not owned by you",
                          "use a file you own with mode 600");
    }
    return read_all(fd, max_size, path);
}

Result<SecretBytes> read_secret_from_descriptor(int fd, std::size_t max_size,
                                                const std::string& what) {
    if (fd < 0 || ::fcntl(fd, F_GETFD) < 0)
        return make_error(Errc::usage, what + " is not open");
    return read_all(fd, max_size, what);
}

}  // namespace ssoescrow::platform
