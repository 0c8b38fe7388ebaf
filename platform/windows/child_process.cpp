#include "platform/child_process.hpp"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "platform/command_line.hpp"
#include "platform/windows/unique_handle.hpp"
#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {
namespace {

using Clock = std::chrono::steady_clock;

// The exit code the processes of a killed bridge get (what GetExitCodeProcess reports).
constexpr UINT k_killed_exit_code = 1;

using Handle = windows::UniqueHandle;

struct Pipe {
    Handle read_end;
    Handle write_end;
};

Error system_failure(const std::string& what, DWORD error) {
    return make_error(Errc::bridge_failed, what + ": " + windows::error_text(error));
}

// Both ends are created non-inheritable; only the child's end is then made inheritable, and the
// handle list given to CreateProcessW limits inheritance to exactly those three ends.
Result<Pipe> make_pipe(bool child_reads) {
    HANDLE read_end = nullptr;
    HANDLE write_end = nullptr;
    if (!::CreatePipe(&read_end, &write_end, nullptr, 0))
        return system_failure("cannot create a pipe for the bridge", ::GetLastError());
    Pipe pipe{Handle(read_end), Handle(write_end)};
    HANDLE child_end = child_reads ? read_end : write_end;
    if (!::SetHandleInformation(child_end, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
        return system_failure("cannot prepare a pipe for the bridge", ::GetLastError());
    return pipe;
}

// A Job Object that kills every process in it when it is terminated or its last handle closes.
Result<Handle> make_job() {
    Handle job(::CreateJobObjectW(nullptr, nullptr));
    if (!job.valid())
        return system_failure("cannot create a job object for the bridge", ::GetLastError());
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!::SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits,
                                   sizeof limits)) {
        return system_failure("cannot configure the bridge's job object", ::GetLastError());
    }
    return job;
}

class AttributeList {
  public:
    explicit AttributeList(DWORD count) {
        SIZE_T size = 0;
        ::InitializeProcThreadAttributeList(nullptr, count, 0, &size);
        m_storage = std::make_unique<unsigned char[]>(size);
        m_list = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(m_storage.get());
        if (!::InitializeProcThreadAttributeList(m_list, count, 0, &size))
            m_list = nullptr;
    }
    ~AttributeList() {
        if (m_list != nullptr)
            ::DeleteProcThreadAttributeList(m_list);
    }
    AttributeList(const AttributeList&) = delete;
    AttributeList& operator=(const AttributeList&) = delete;
    LPPROC_THREAD_ATTRIBUTE_LIST get() const { return m_list; }

  private:
    std::unique_ptr<unsigned char[]> m_storage;
    LPPROC_THREAD_ATTRIBUTE_LIST m_list = nullptr;
};

std::atomic<HANDLE> g_running_job{nullptr};
static_assert(std::atomic<HANDLE>::is_always_lock_free);

// Publishes the running job for kill_running_child while it is alive.
class RunningJob {
  public:
    explicit RunningJob(HANDLE job) { g_running_job.store(job); }
    ~RunningJob() { g_running_job.store(nullptr); }
    RunningJob(const RunningJob&) = delete;
    RunningJob& operator=(const RunningJob&) = delete;
};

// Appends to a bounded buffer, keeping the tail.
void keep_tail(std::string& buffer, const char* data, std::size_t size, std::size_t limit) {
    buffer.append(data, size);
    if (buffer.size() > limit)
        buffer.erase(0, buffer.size() - limit);
}

// What the reader threads share with run_child. The threads only touch their own string until
// they are joined.
struct Streams {
    std::string stdout_text;
    std::string stderr_tail;
    std::atomic<bool> too_large{false};
    Handle too_large_event{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
    Handle stdout_done{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
    Handle stderr_done{::CreateEventW(nullptr, TRUE, FALSE, nullptr)};
};

void read_stdout(HANDLE pipe, Streams& streams, std::size_t limit) {
    char buffer[8192];
    DWORD got = 0;
    while (::ReadFile(pipe, buffer, sizeof buffer, &got, nullptr) && got > 0) {
        streams.stdout_text.append(buffer, got);
        if (streams.stdout_text.size() > limit) {
            streams.too_large.store(true);
            ::SetEvent(streams.too_large_event.get());
            break;
        }
    }
    ::SetEvent(streams.stdout_done.get());
}

void read_stderr(HANDLE pipe, Streams& streams, std::size_t limit) {
    char buffer[8192];
    DWORD got = 0;
    while (::ReadFile(pipe, buffer, sizeof buffer, &got, nullptr) && got > 0)
        keep_tail(streams.stderr_tail, buffer, got, limit);
    ::SetEvent(streams.stderr_done.get());
}

// A bridge that exits without reading its request breaks the pipe: WriteFile fails, which is
// fine (its exit status tells the story).
void write_request(Handle pipe, const crypto::SecretBytes& request) {
    std::size_t written = 0;
    while (written < request.size()) {
        const DWORD chunk =
            static_cast<DWORD>(std::min<std::size_t>(request.size() - written, 1 << 16));
        DWORD done = 0;
        if (!::WriteFile(pipe.get(), request.data() + written, chunk, &done, nullptr) || done == 0)
            break;
        written += done;
    }
    pipe.close();
}

DWORD milliseconds_until(Clock::time_point deadline) {
    const auto now = Clock::now();
    if (now >= deadline)
        return 0;
    return static_cast<DWORD>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
}

}  // namespace

void kill_running_child() noexcept {
    HANDLE job = g_running_job.load();
    if (job == nullptr)
        return;
    ::TerminateJobObject(job, k_killed_exit_code);
    // Termination is asynchronous: wait (at most 2 s) until no process of the job is left, so
    // the files the bridge had open are closed when the scratch directory is wiped next.
    for (int attempt = 0; attempt < 200; ++attempt) {
        JOBOBJECT_BASIC_ACCOUNTING_INFORMATION accounting{};
        if (!::QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &accounting,
                                         sizeof accounting, nullptr) ||
            accounting.ActiveProcesses == 0)
            break;
        ::Sleep(10);
    }
}

Result<ChildOutcome> run_child(const std::vector<std::string>& argv,
                               const crypto::SecretBytes& request, const ChildLimits& limits) {
    if (argv.empty())
        return make_error(Errc::usage, "--bridge: the bridge command is empty");
    TRY_ASSIGN(const std::string line, join_windows_command_line(argv));
    std::wstring command_line = windows::to_wide(line);
    TRY_ASSIGN(Pipe in, make_pipe(true));
    TRY_ASSIGN(Pipe out, make_pipe(false));
    TRY_ASSIGN(Pipe err, make_pipe(false));
    TRY_ASSIGN(Handle job, make_job());

    AttributeList attributes(1);
    HANDLE inherited[3] = {in.read_end.get(), out.write_end.get(), err.write_end.get()};
    if (attributes.get() == nullptr ||
        !::UpdateProcThreadAttribute(attributes.get(), 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                     inherited, sizeof inherited, nullptr, nullptr)) {
        return system_failure("cannot prepare the bridge's handles", ::GetLastError());
    }
    STARTUPINFOEXW startup{};
    startup.StartupInfo.cb = sizeof startup;
    startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    startup.StartupInfo.hStdInput = in.read_end.get();
    startup.StartupInfo.hStdOutput = out.write_end.get();
    startup.StartupInfo.hStdError = err.write_end.get();
    startup.lpAttributeList = attributes.get();

    const auto started = Clock::now();
    PROCESS_INFORMATION info{};
    // Suspended until it is in the job: nothing it starts can escape the job. No console window:
    // the bridge talks through its pipes only, and a Ctrl-C reaches it through our handler.
    if (!::CreateProcessW(nullptr, command_line.data(), nullptr, nullptr, TRUE,
                          CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT |
                              EXTENDED_STARTUPINFO_PRESENT,
                          nullptr, nullptr, &startup.StartupInfo, &info)) {
        const DWORD error = ::GetLastError();
        return make_error(
            Errc::bridge_failed,
            "cannot start the bridge '" + argv[0] + "': " + windows::error_text(error),
            "check the --bridge command: the program must exist and be executable");
    }
    Handle process(info.hProcess);
    Handle thread(info.hThread);
    if (!::AssignProcessToJobObject(job.get(), process.get())) {
        const DWORD error = ::GetLastError();
        ::TerminateProcess(process.get(), k_killed_exit_code);
        ::WaitForSingleObject(process.get(), INFINITE);
        return system_failure("cannot put the bridge '" + argv[0] + "' into a job object", error);
    }
    RunningJob running(job.get());
    // Our copies of the child's ends: closed, so the readers see the end of output when the
    // bridge (and everything it started) is gone.
    in.read_end.close();
    out.write_end.close();
    err.write_end.close();
    ::ResumeThread(thread.get());
    thread.close();

    Streams streams;
    std::thread stdout_reader(read_stdout, out.read_end.get(), std::ref(streams),
                              limits.max_stdout_bytes);
    std::thread stderr_reader(read_stderr, err.read_end.get(), std::ref(streams),
                              limits.max_stderr_bytes);
    std::thread writer(write_request, std::move(in.write_end), std::cref(request));

    const auto deadline = started + limits.timeout;
    ChildOutcome outcome;
    // The process ends, its output is too large, or time runs out.
    HANDLE first_wait[2] = {process.get(), streams.too_large_event.get()};
    DWORD woke = ::WaitForMultipleObjects(2, first_wait, FALSE, milliseconds_until(deadline));
    const bool exited = woke == WAIT_OBJECT_0;
    if (exited) {
        // Its answer is in the pipes now. A grandchild that inherited them (a helper the bridge
        // left running) keeps them open: read what is there for a short grace, not until the
        // timeout, then the job is terminated below and the readers see the end.
        HANDLE output_done[2] = {streams.stdout_done.get(), streams.stderr_done.get()};
        const auto drain_until = std::min(deadline, Clock::now() + k_output_grace_after_exit);
        ::WaitForMultipleObjects(2, output_done, TRUE, milliseconds_until(drain_until));
    }
    // Whatever is left of the bridge (all of it on timeout; grandchildren otherwise) dies now,
    // which also ends the reader and writer threads' blocking calls.
    ::TerminateJobObject(job.get(), k_killed_exit_code);
    ::WaitForSingleObject(process.get(), INFINITE);
    writer.join();
    stdout_reader.join();
    stderr_reader.join();

    outcome.stdout_text = std::move(streams.stdout_text);
    outcome.stderr_tail = std::move(streams.stderr_tail);
    if (streams.too_large.load()) {
        outcome.ending = ChildOutcome::Ending::output_too_large;
    } else if (!exited) {
        outcome.ending = ChildOutcome::Ending::timed_out;
    } else {
        DWORD code = 0;
        ::GetExitCodeProcess(process.get(), &code);
        outcome.exit_status = static_cast<int>(code);
    }
    outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    return outcome;
}

}  // namespace ssoescrow::platform
