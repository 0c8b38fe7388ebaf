#include "platform/arguments.hpp"

#include <windows.h>

#include <shellapi.h>

#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {

Utf8Arguments utf8_arguments(int argc, char** argv) {
    int count = 0;
    wchar_t** wide = ::CommandLineToArgvW(::GetCommandLineW(), &count);
    if (wide == nullptr)
        return Utf8Arguments(std::vector<std::string>(argv, argv + argc));
    std::vector<std::string> arguments;
    for (int i = 0; i < count; ++i)
        arguments.push_back(windows::to_utf8(wide[i]));
    ::LocalFree(wide);
    return Utf8Arguments(std::move(arguments));
}

void use_utf8_console() noexcept {
    ::SetConsoleOutputCP(CP_UTF8);
}

}  // namespace ssoescrow::platform
