#include "platform/terminal.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "platform/posix/echo_state.hpp"

namespace ssoescrow::platform {
namespace {

using crypto::SecretBytes;

class Tty {
  public:
    Tty() : m_fd(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) {}
    ~Tty() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Tty(const Tty&) = delete;
    Tty& operator=(const Tty&) = delete;
    int fd() const { return m_fd; }

  private:
    int m_fd;
};

Error no_terminal() {
    return make_error(Errc::usage, "no terminal to ask on",
                      "use --passphrase-file FILE (mode 600) or --passphrase-fd N");
}

Status write_prompt(int tty, std::string_view prompt) {
    std::size_t done = 0;
    while (done < prompt.size()) {
        const ssize_t n = ::write(tty, prompt.data() + done, prompt.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return make_error(Errc::io, "cannot write the prompt to the terminal");
        done += static_cast<std::size_t>(n);
    }
    return {};
}

// Reads up to LF or end of input into `line` (capacity: its size); returns the bytes used, or
// line.size() + 1 when the line did not fit (the rest of it is consumed).
Result<std::size_t> read_into(int tty, std::uint8_t* line, std::size_t capacity) {
    std::size_t used = 0;
    bool overflow = false;
    for (;;) {
        char c = 0;
        const ssize_t n = ::read(tty, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return make_error(
                Errc::io, std::string("cannot read from the terminal: ") + std::strerror(errno));
        if (n == 0 || c == '\n')
            break;
        if (used < capacity)
            line[used++] = static_cast<std::uint8_t>(c);
        else
            overflow = true;
        c = 0;
    }
    return overflow ? capacity + 1 : used;
}

// Echo off for the lifetime of the object; the interrupt handler knows the saved state for as
// long as echo is off.
class EchoOff {
  public:
    static Result<std::unique_ptr<EchoOff>> start(int tty) {
        auto guard = std::unique_ptr<EchoOff>(new EchoOff(tty));
        if (::tcgetattr(tty, &guard->m_saved) != 0) {
            return make_error(
                Errc::io, std::string("cannot configure the terminal: ") + std::strerror(errno));
        }
        struct termios silent = guard->m_saved;
        silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        silent.c_lflag |= ECHONL;
        // Registered before echo goes off: a signal at any moment from here on restores it.
        posix::echo_turned_off(tty, guard->m_saved);
        guard->m_registered = true;
        if (::tcsetattr(tty, TCSAFLUSH, &silent) != 0)
            return make_error(Errc::io, "cannot turn off terminal echo");
        return guard;
    }
    ~EchoOff() {
        if (!m_registered)
            return;
        ::tcsetattr(m_tty, TCSAFLUSH, &m_saved);
        posix::echo_restored();
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

  private:
    explicit EchoOff(int tty) : m_tty(tty) {}
    int m_tty;
    struct termios m_saved {};
    bool m_registered = false;
};

}  // namespace

Result<SecretBytes> read_line_from_terminal(std::string_view prompt, Echo echo,
                                            std::size_t max_size) {
    Tty tty;
    if (tty.fd() < 0)
        return no_terminal();
    std::unique_ptr<EchoOff> echo_off;
    if (echo == Echo::off) {
        TRY_ASSIGN(echo_off, EchoOff::start(tty.fd()));
    }
    TRY(write_prompt(tty.fd(), prompt));
    SecretBytes line(max_size);
    TRY_ASSIGN(const std::size_t used, read_into(tty.fd(), line.data(), line.size()));
    if (used > max_size) {
        return make_error(Errc::limit_exceeded,
                          "the line typed is longer than " + std::to_string(max_size) + " bytes");
    }
    line.truncate(used);
    return line;
}

Result<std::string> read_answer_from_terminal(std::string_view prompt, std::size_t max_size) {
    Tty tty;
    if (tty.fd() < 0)
        return no_terminal();
    TRY(write_prompt(tty.fd(), prompt));
    std::string answer(max_size + 1, '\0');
    TRY_ASSIGN(const std::size_t used,
               read_into(tty.fd(), reinterpret_cast<std::uint8_t*>(answer.data()), answer.size()));
    answer.resize(std::min(used, answer.size()));
    return answer;
}

}  // namespace ssoescrow::platform
