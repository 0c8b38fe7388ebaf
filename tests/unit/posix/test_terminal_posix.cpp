// The passphrase prompt in a real pseudo-terminal: echo is off while it reads and comes back on
// every path, including Ctrl-C (^C, which the terminal turns into SIGINT), SIGTERM and SIGHUP.
#include <catch2/catch.hpp>

#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "platform/terminal.hpp"

using namespace ssoescrow;

namespace {

// The prompt runs in a child whose controlling terminal is the pty's other end; the test reads
// the master side.
struct PromptChild {
    int master = -1;
    pid_t pid = -1;

    PromptChild() {
        pid = ::forkpty(&master, nullptr, nullptr, nullptr);
        REQUIRE(pid >= 0);
        if (pid == 0) {
            auto line =
                platform::read_line_from_terminal("Enter secret: ", platform::Echo::off, 64);
            if (!line)
                ::_exit(20);
            const std::string text(reinterpret_cast<const char*>(line->data()), line->size());
            ::_exit(text == "s3cret" ? 0 : 21);
        }
    }
    ~PromptChild() {
        if (master >= 0)
            ::close(master);
    }
    PromptChild(const PromptChild&) = delete;
    PromptChild& operator=(const PromptChild&) = delete;

    // Reads the master side until `text` appeared (or 10 s passed).
    bool wait_for(const std::string& text) {
        std::string seen;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (seen.find(text) == std::string::npos) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            pollfd fd{master, POLLIN, 0};
            if (::poll(&fd, 1, 100) <= 0)
                continue;
            char buffer[256];
            const ssize_t n = ::read(master, buffer, sizeof buffer);
            if (n <= 0)
                return false;
            seen.append(buffer, static_cast<std::size_t>(n));
        }
        return true;
    }

    bool echo_on() const {
        struct termios state {};
        REQUIRE(::tcgetattr(master, &state) == 0);
        return (state.c_lflag & ECHO) != 0;
    }

    int wait_status() const {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        return status;
    }
};

}  // namespace

TEST_CASE("a passphrase prompt turns echo off and back on", "[terminal]") {
    // No look at the terminal before the prompt: the child may have turned echo off already.
    PromptChild child;
    REQUIRE(child.wait_for("Enter secret: "));
    REQUIRE_FALSE(child.echo_on());
    REQUIRE(::write(child.master, "s3cret\n", 7) == 7);
    const int status = child.wait_status();
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    REQUIRE(child.echo_on());
}

TEST_CASE("Ctrl-C at a passphrase prompt leaves the terminal with echo on", "[terminal]") {
    PromptChild child;
    REQUIRE(child.wait_for("Enter secret: "));
    REQUIRE_FALSE(child.echo_on());
    struct termios state {};
    REQUIRE(::tcgetattr(child.master, &state) == 0);
    const char interrupt = static_cast<char>(state.c_cc[VINTR]);  // ^C
    REQUIRE(::write(child.master, &interrupt, 1) == 1);
    const int status = child.wait_status();
    // Still ended by SIGINT, as before: the shell sees the usual status.
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGINT);
    REQUIRE(child.echo_on());
}

TEST_CASE("SIGTERM and SIGHUP at a passphrase prompt restore echo too", "[terminal]") {
    for (int sig : {SIGTERM, SIGHUP}) {
        PromptChild child;
        REQUIRE(child.wait_for("Enter secret: "));
        REQUIRE_FALSE(child.echo_on());
        REQUIRE(::kill(child.pid, sig) == 0);
        const int status = child.wait_status();
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(WTERMSIG(status) == sig);
        REQUIRE(child.echo_on());
    }
}
