#include "platform/process_info.hpp"

#include <windows.h>

#include <cstdint>

#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {

std::int64_t current_process_id() noexcept {
    return static_cast<std::int64_t>(::GetCurrentProcessId());
}

ProcessState process_state(std::int64_t pid) noexcept {
    if (pid == current_process_id())
        return ProcessState::alive;
    if (pid <= 0 || pid > static_cast<std::int64_t>(UINT32_MAX))
        return ProcessState::unknown;
    HANDLE process =
        ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid));
    if (process == nullptr) {
        // No such process id: ERROR_INVALID_PARAMETER. Access denied means it exists.
        return ::GetLastError() == ERROR_INVALID_PARAMETER ? ProcessState::dead
                                                           : ProcessState::alive;
    }
    DWORD exit_code = 0;
    const BOOL queried = ::GetExitCodeProcess(process, &exit_code);
    ::CloseHandle(process);
    if (!queried)
        return ProcessState::unknown;
    // A process object that has exited but is still referenced by a handle somewhere.
    return exit_code == STILL_ACTIVE ? ProcessState::alive : ProcessState::dead;
}

std::string host_name() {
    wchar_t buffer[256];
    DWORD size = 256;
    if (::GetComputerNameExW(ComputerNameDnsHostname, buffer, &size) && size > 0)
        return windows::to_utf8(std::wstring_view(buffer, size));
    size = 256;
    if (::GetComputerNameW(buffer, &size) && size > 0)
        return windows::to_utf8(std::wstring_view(buffer, size));
    return "unknown-host";
}

std::string user_name() {
    wchar_t user[256];
    DWORD user_size = 256;
    if (!::GetUserNameW(user, &user_size) || user_size == 0)
        return "unknown-user";
    std::wstring name(user);  // user_size counts the terminator
    wchar_t domain[256];
    DWORD domain_size = 256;
    if (::GetEnvironmentVariableW(L"USERDOMAIN", domain, domain_size) > 0)
        name = std::wstring(domain) + L"\\" + name;
    return windows::to_utf8(name);
}

}  // namespace ssoescrow::platform
