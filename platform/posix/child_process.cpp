#include "platform/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

namespace ssoescrow::platform {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() { close(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
    int get() const { return m_fd; }
    bool open() const { return m_fd >= 0; }
    void close() {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

  private:
    int m_fd = -1;
};

struct Pipe {
    Fd read_end;
    Fd write_end;
};

Result<Pipe> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return make_error(
            Errc::bridge_failed,
            std::string("cannot create a pipe for the bridge: ") + std::strerror(errno));
    }
    return Pipe{Fd(fds[0]), Fd(fds[1])};
}

void set_nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, Pipe& in, Pipe& out, Pipe& err,
                             Pipe& exec_error) {
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);  // ignored in ssoescrow itself; the bridge gets the default
    ::dup2(in.read_end.get(), 0);
    ::dup2(out.write_end.get(), 1);
    ::dup2(err.write_end.get(), 2);
    std::vector<char*> args;
    for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    int error = errno;
    [[maybe_unused]] auto ignored = ::write(exec_error.write_end.get(), &error, sizeof error);
    ::_exit(127);
}

std::atomic<int> g_running_child_group{0};
static_assert(std::atomic<int>::is_always_lock_free);

void kill_group(pid_t pid) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
}

// Appends to a bounded buffer, keeping the tail.
void keep_tail(std::string& buffer, const char* data, std::size_t size, std::size_t limit) {
    buffer.append(data, size);
    if (buffer.size() > limit)
        buffer.erase(0, buffer.size() - limit);
}

}  // namespace

void kill_running_child() noexcept {
    if (const int group = g_running_child_group.load(); group > 0)
        ::kill(-group, SIGKILL);
}

Result<ChildOutcome> run_child(const std::vector<std::string>& argv,
                               const crypto::SecretBytes& request, const ChildLimits& limits) {
    if (argv.empty())
        return make_error(Errc::usage, "--bridge: the bridge command is empty");
    TRY_ASSIGN(Pipe in, make_pipe());
    TRY_ASSIGN(Pipe out, make_pipe());
    TRY_ASSIGN(Pipe err, make_pipe());
    TRY_ASSIGN(Pipe exec_error, make_pipe());

    const auto started = Clock::now();
    pid_t pid = ::fork();
    if (pid < 0) {
        return make_error(
            Errc::bridge_failed,
            std::string("cannot start the bridge: fork failed: ") + std::strerror(errno));
    }
    if (pid == 0)
        exec_child(argv, in, out, err, exec_error);

    ::setpgid(pid, pid);  // also done in the child; whichever runs first wins the race
    g_running_child_group.store(pid);
    in.read_end.close();
    out.write_end.close();
    err.write_end.close();
    exec_error.write_end.close();

    int exec_errno = 0;
    if (::read(exec_error.read_end.get(), &exec_errno, sizeof exec_errno) ==
        static_cast<ssize_t>(sizeof exec_errno)) {
        int ignored_status = 0;
        ::waitpid(pid, &ignored_status, 0);
        g_running_child_group.store(0);
        return make_error(Errc::bridge_failed,
                          "cannot start the bridge '" + argv[0] + "': " + std::strerror(exec_errno),
                          "check the --bridge command: the program must exist and be executable");
    }

    set_nonblocking(in.write_end.get());
    set_nonblocking(out.read_end.get());
    set_nonblocking(err.read_end.get());

    ChildOutcome outcome;
    std::size_t written = 0;
    if (request.empty())
        in.write_end.close();
    const auto deadline = started + limits.timeout;
    bool too_large = false;
    char buffer[8192];
    // Once the bridge itself has exited, its answer is in the pipes: a grandchild that inherited
    // them (a helper the bridge left running) must not hold the job until the timeout.
    int status = 0;
    bool exited = false;
    Clock::time_point drain_until{};

    while (out.read_end.open() || err.read_end.open()) {
        auto now = Clock::now();
        if (now >= deadline)
            break;
        if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            drain_until = now + k_output_grace_after_exit;
        }
        if (exited && now >= drain_until)
            break;
        pollfd fds[3];
        nfds_t count = 0;
        auto add = [&](Fd& fd, short events) {
            if (fd.open())
                fds[count++] = pollfd{fd.get(), events, 0};
        };
        add(in.write_end, POLLOUT);
        add(out.read_end, POLLIN);
        add(err.read_end, POLLIN);
        auto wait_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        // Short slices, so that the bridge's exit is seen soon after it happens.
        int ready = ::poll(fds, count, static_cast<int>(std::min<long long>(wait_ms + 1, 100)));
        if (ready < 0 && errno != EINTR)
            break;
        for (nfds_t i = 0; i < count && ready > 0; ++i) {
            if (fds[i].revents == 0)
                continue;
            int fd = fds[i].fd;
            if (in.write_end.open() && fd == in.write_end.get()) {
                ssize_t n = ::write(fd, request.data() + written, request.size() - written);
                if (n > 0)
                    written += static_cast<std::size_t>(n);
                // A bridge that exits without reading its request gets EPIPE (SIGPIPE is ignored).
                if ((n < 0 && errno != EAGAIN) || written == request.size())
                    in.write_end.close();
                continue;
            }
            Fd& source =
                out.read_end.open() && fd == out.read_end.get() ? out.read_end : err.read_end;
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n > 0) {
                if (&source == &out.read_end) {
                    outcome.stdout_text.append(buffer, static_cast<std::size_t>(n));
                    if (outcome.stdout_text.size() > limits.max_stdout_bytes)
                        too_large = true;
                } else {
                    keep_tail(outcome.stderr_tail, buffer, static_cast<std::size_t>(n),
                              limits.max_stderr_bytes);
                }
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                source.close();
            }
        }
        if (too_large)
            break;
    }
    in.write_end.close();

    // Output is closed (or we gave up); wait for the exit within what is left of the timeout.
    pid_t reaped = exited ? pid : 0;
    while (!exited && !too_large && (reaped = ::waitpid(pid, &status, WNOHANG)) == 0 &&
           Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (reaped != pid) {
        kill_group(pid);
        ::waitpid(pid, &status, 0);
        outcome.ending =
            too_large ? ChildOutcome::Ending::output_too_large : ChildOutcome::Ending::timed_out;
    } else if (WIFSIGNALED(status)) {
        outcome.ending = ChildOutcome::Ending::signalled;
        outcome.exit_status = WTERMSIG(status);
    } else {
        outcome.exit_status = WEXITSTATUS(status);
    }
    // Grandchildren left in the group are killed too: nothing of the bridge outlives the call.
    ::kill(-pid, SIGKILL);
    g_running_child_group.store(0);
    outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    return outcome;
}

}  // namespace ssoescrow::platform
