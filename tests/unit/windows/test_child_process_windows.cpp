// The bridge child on Windows: CreateProcessW with pipes, the request on stdin, exit codes, and a
// hung bridge that started a grandchild killed with it through the Job Object within the timeout.
//
// The children are this test executable itself: a static initialiser below turns it into a fake
// bridge when SSOESCROW_TEST_CHILD is set (before Catch2 or main run).
#include <catch2/catch.hpp>

#include <windows.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "platform/child_process.hpp"
#include "platform/windows/win_text.hpp"

using namespace ssoescrow;

namespace {

std::wstring this_executable() {
    wchar_t path[MAX_PATH * 4];
    const DWORD length = ::GetModuleFileNameW(nullptr, path, MAX_PATH * 4);
    return std::wstring(path, length);
}

// Starts this executable again as a fake bridge in the given mode; returns its process handle.
HANDLE spawn_self(const wchar_t* mode) {
    ::SetEnvironmentVariableW(L"SSOESCROW_TEST_CHILD", mode);
    std::wstring line = L"\"" + this_executable() + L"\"";
    STARTUPINFOW startup{};
    startup.cb = sizeof startup;
    PROCESS_INFORMATION info{};
    if (!::CreateProcessW(nullptr, line.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr,
                          &startup, &info))
        return nullptr;
    ::CloseHandle(info.hThread);
    return info.hProcess;
}

void write_stdout(const std::string& text) {
    DWORD written = 0;
    ::WriteFile(::GetStdHandle(STD_OUTPUT_HANDLE), text.data(), static_cast<DWORD>(text.size()),
                &written, nullptr);
}

// The fake bridges:
//   echo   reads stdin to its end, prints "<bytes read>|<its command line>" and exits with 7;
//   hang   prints its pid and never ends;
//   tree   starts a `hang` grandchild, prints the grandchild's pid and never ends.
[[maybe_unused]] const bool g_child_mode = [] {
    wchar_t mode[16] = {};
    if (::GetEnvironmentVariableW(L"SSOESCROW_TEST_CHILD", mode, 16) == 0)
        return false;
    const std::wstring which(mode);
    if (which == L"echo") {
        std::string input;
        char buffer[4096];
        DWORD got = 0;
        while (::ReadFile(::GetStdHandle(STD_INPUT_HANDLE), buffer, sizeof buffer, &got, nullptr) &&
               got > 0)
            input.append(buffer, got);
        write_stdout(input + "|" + platform::windows::to_utf8(::GetCommandLineW()));
        ::ExitProcess(7);
    }
    if (which == L"hang") {
        write_stdout(std::to_string(::GetCurrentProcessId()) + "\n");
        ::Sleep(INFINITE);
    }
    if (which == L"tree") {
        HANDLE grandchild = spawn_self(L"hang");
        write_stdout(std::to_string(grandchild ? ::GetProcessId(grandchild) : 0) + "\n");
        ::Sleep(INFINITE);
    }
    ::ExitProcess(99);
}();

struct ChildMode {
    explicit ChildMode(const wchar_t* mode) {
        ::SetEnvironmentVariableW(L"SSOESCROW_TEST_CHILD", mode);
    }
    ~ChildMode() { ::SetEnvironmentVariableW(L"SSOESCROW_TEST_CHILD", nullptr); }
};

bool process_gone(DWORD pid) {
    HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, pid);
    if (process == nullptr)
        return true;
    const bool gone = ::WaitForSingleObject(process, 2000) == WAIT_OBJECT_0;
    ::CloseHandle(process);
    return gone;
}

}  // namespace

TEST_CASE("the windows bridge child gets its request on stdin and its argv intact",
          "[bridge][windows]") {
    ChildMode mode(L"echo");
    const std::vector<std::string> argv = {platform::windows::to_utf8(this_executable()), "status",
                                           "a b", R"(C:\x y\)", R"(q"uote)"};
    const auto request = crypto::SecretBytes::copy_of(as_bytes(std::string_view("{\"x\":1}")));
    platform::ChildLimits limits;
    limits.timeout = std::chrono::seconds(20);
    auto outcome = platform::run_child(argv, request, limits);
    REQUIRE(outcome);
    REQUIRE(outcome->ending == platform::ChildOutcome::Ending::exited);
    REQUIRE(outcome->exit_status == 7);
    REQUIRE(outcome->stdout_text.rfind("{\"x\":1}|", 0) == 0);
    REQUIRE_THAT(outcome->stdout_text, Catch::Contains(R"("a b" "C:\x y\\" "q\"uote")"));
}

TEST_CASE("a hung windows bridge and its grandchild are killed within the timeout",
          "[bridge][windows]") {
    ChildMode mode(L"tree");
    platform::ChildLimits limits;
    limits.timeout = std::chrono::milliseconds(1500);
    const auto started = std::chrono::steady_clock::now();
    auto outcome = platform::run_child({platform::windows::to_utf8(this_executable())},
                                       crypto::SecretBytes(0), limits);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(outcome);
    REQUIRE(outcome->ending == platform::ChildOutcome::Ending::timed_out);
    REQUIRE(took < std::chrono::seconds(10));
    const DWORD grandchild = static_cast<DWORD>(std::stoul(outcome->stdout_text));
    REQUIRE(grandchild != 0);
    REQUIRE(process_gone(grandchild));
}

TEST_CASE("a windows bridge that cannot start is a named bridge failure", "[bridge][windows]") {
    auto outcome = platform::run_child({R"(C:\does\not\exist\bridge.exe)", "status"},
                                       crypto::SecretBytes(0), platform::ChildLimits{});
    REQUIRE_FALSE(outcome);
    REQUIRE(outcome.error().code == Errc::bridge_failed);
    REQUIRE_THAT(outcome.error().message, Catch::Contains(R"(C:\does\not\exist\bridge.exe)"));
}
