#include "src/passphrase.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ssoescrow {
namespace {

using crypto::SecretBytes;

// Closes a descriptor on every path.
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

// Reads everything from fd into a secret buffer, refusing more than the maximum.
Result<SecretBytes> read_all(int fd, const std::string& what) {
    SecretBytes buffer(k_max_passphrase_size + 2);  // room for a trailing CR LF
    std::size_t used = 0;
    for (;;) {
        if (used == buffer.size()) {
            return make_error(Errc::limit_exceeded, what + ": passphrase longer than " +
                                                        std::to_string(k_max_passphrase_size) +
                                                        " bytes");
        }
        ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            return make_error(Errc::io, what + ": cannot read passphrase: " + std::strerror(errno));
        }
        if (n == 0)
            break;
        used += static_cast<std::size_t>(n);
    }
    buffer.truncate(used);
    return buffer;
}

// Removes exactly one trailing LF or CR LF (editors add one); refuses an empty result.
Result<SecretBytes> finish_passphrase(SecretBytes raw, const std::string& what) {
    std::size_t size = raw.size();
    if (size > 0 && raw[size - 1] == '\n') {
        --size;
        if (size > 0 && raw[size - 1] == '\r')
            --size;
    }
    raw.truncate(size);
    if (raw.empty()) {
        return make_error(Errc::invalid_argument, what + ": the passphrase is empty",
                          "choose a non-empty passphrase");
    }
    if (raw.size() > k_max_passphrase_size) {
        return make_error(
            Errc::limit_exceeded,
            what + ": passphrase longer than " + std::to_string(k_max_passphrase_size) + " bytes");
    }
    return raw;
}

Result<SecretBytes> from_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ELOOP) {
            return make_error(Errc::unsafe_permissions,
                              path + ": passphrase file is a symbolic link",
                              "point --passphrase-file at the file itself");
        }
        return make_error(errno == ENOENT ? Errc::not_found : Errc::io,
                          path + ": cannot open passphrase file: " + std::strerror(errno));
    }
    FdCloser closer(fd);
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        return make_error(Errc::unsafe_permissions,
                          path + ": passphrase file is not a regular file");
    }
    if ((info.st_mode & 077) != 0) {
        return make_error(Errc::unsafe_permissions,
                          path + ": passphrase file is readable or writable by others",
                          "chmod 600 " + path);
    }
    if (info.st_uid != ::geteuid()) {
        return make_error(Errc::unsafe_permissions, path + ": passphrase file is not owned by you",
                          "use a passphrase file you own with mode 600");
    }
    TRY_ASSIGN(SecretBytes raw, read_all(fd, path));
    return finish_passphrase(std::move(raw), path);
}

Result<SecretBytes> from_fd(int fd) {
    std::string what = "passphrase descriptor " + std::to_string(fd);
    if (fd < 0 || ::fcntl(fd, F_GETFD) < 0) {
        return make_error(Errc::usage, what + " is not open");
    }
    TRY_ASSIGN(SecretBytes raw, read_all(fd, what));
    return finish_passphrase(std::move(raw), what);
}

// Reads one line from the terminal with echo off; the terminal state is restored on every path.
Result<SecretBytes> ask_terminal(int tty, const std::string& prompt, const std::string& what) {
    struct termios saved {};
    if (::tcgetattr(tty, &saved) != 0) {
        return make_error(Errc::io,
                          "cannot configure the terminal: " + std::string(std::strerror(errno)));
    }
    struct termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    silent.c_lflag |= ECHONL;
    if (::tcsetattr(tty, TCSAFLUSH, &silent) != 0) {
        return make_error(Errc::io, "cannot turn off terminal echo");
    }
    struct Restore {
        int fd;
        const struct termios& state;
        ~Restore() { ::tcsetattr(fd, TCSAFLUSH, &state); }
    } restore{tty, saved};

    if (::write(tty, prompt.data(), prompt.size()) < 0) {
        return make_error(Errc::io, "cannot write the prompt to the terminal");
    }
    SecretBytes line(k_max_passphrase_size + 2);
    std::size_t used = 0;
    for (;;) {
        char c = 0;
        ssize_t n = ::read(tty, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;  // end of input
        if (c == '\n')
            break;
        if (used == line.size()) {
            return make_error(Errc::limit_exceeded, what + ": passphrase too long");
        }
        line[used++] = static_cast<std::uint8_t>(c);
        c = 0;
    }
    line.truncate(used);
    return finish_passphrase(std::move(line), what);
}

Result<SecretBytes> from_terminal(PassphrasePurpose purpose, const std::string& what) {
    int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (tty < 0) {
        return make_error(Errc::usage, "no terminal to ask for the passphrase of " + what,
                          "use --passphrase-file FILE (mode 600) or --passphrase-fd N");
    }
    FdCloser closer(tty);
    std::string verb =
        purpose == PassphrasePurpose::create ? "new passphrase for " : "passphrase for ";
    TRY_ASSIGN(SecretBytes first, ask_terminal(tty, "Enter " + verb + what + ": ", what));
    if (purpose == PassphrasePurpose::unlock)
        return first;
    TRY_ASSIGN(SecretBytes second, ask_terminal(tty, "Repeat " + verb + what + ": ", what));
    if (!first.equals(second)) {
        return make_error(Errc::usage, "the two passphrases for " + what + " differ",
                          "run the command again and type the same passphrase twice");
    }
    return first;
}

}  // namespace

Result<SecretBytes> obtain_passphrase(const PassphraseSource& source, PassphrasePurpose purpose,
                                      const std::string& what) {
    if (source.file && source.fd) {
        return make_error(Errc::usage,
                          "give either --passphrase-file or --passphrase-fd, not both");
    }
    if (source.file)
        return from_file(*source.file);
    if (source.fd)
        return from_fd(*source.fd);
    return from_terminal(purpose, what);
}

}  // namespace ssoescrow
