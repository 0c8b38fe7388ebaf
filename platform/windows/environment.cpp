#include "platform/environment.hpp"

#include <stdlib.h>
#include <windows.h>

#include <string>

#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {

std::optional<std::string> environment_variable(std::string_view name) {
    const std::wstring wide_name = windows::to_wide(name);
    // The first call returns the size including the terminator, 0 when the variable is unset.
    const DWORD size = ::GetEnvironmentVariableW(wide_name.c_str(), nullptr, 0);
    if (size == 0)
        return ::GetLastError() == ERROR_ENVVAR_NOT_FOUND ? std::nullopt
                                                          : std::optional<std::string>("");
    std::wstring value(size, L'\0');
    const DWORD written = ::GetEnvironmentVariableW(wide_name.c_str(), value.data(), size);
    value.resize(written);
    return windows::to_utf8(value);
}

bool set_environment_variable(std::string_view name, const std::optional<std::string>& value) {
    const std::wstring wide_name = windows::to_wide(name);
    // The process environment block (GetEnvironmentVariableW, CreateProcessW's default) and the
    // C runtime's copy (getenv, used by libraries) are separate on Windows: set both.
    const std::wstring wide_value = value ? windows::to_wide(*value) : std::wstring();
    const BOOL set = ::SetEnvironmentVariableW(wide_name.c_str(),
                                               value ? wide_value.c_str() : nullptr);
    ::_wputenv_s(wide_name.c_str(), wide_value.c_str());
    return set != FALSE;
}

}  // namespace ssoescrow::platform
