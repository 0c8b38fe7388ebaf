// The Windows rules for --bridge and the command line given to CreateProcessW, against the real
// CommandLineToArgvW of the system the tests run on.
#include <catch2/catch.hpp>

#include <windows.h>

#include <shellapi.h>

#include <string>
#include <vector>

#include "platform/command_line.hpp"
#include "platform/windows/win_text.hpp"

using namespace ssoescrow;
using Words = std::vector<std::string>;

namespace {

Words system_split(const std::string& line) {
    int count = 0;
    wchar_t** wide = ::CommandLineToArgvW(platform::windows::to_wide(line).c_str(), &count);
    REQUIRE(wide != nullptr);
    Words words;
    for (int i = 0; i < count; ++i)
        words.push_back(platform::windows::to_utf8(wide[i]));
    ::LocalFree(wide);
    return words;
}

}  // namespace

TEST_CASE("windows splitting agrees with CommandLineToArgvW", "[bridge][command-line][windows]") {
    const std::vector<std::string> lines = {
        R"(powershell.exe -NoProfile -File "C:\Program Files\ssoescrow\sso-bridge.ps1")",
        R"("C:\Program Files\PowerShell\7\pwsh.exe" -File x.ps1)",
        R"("C:\dir\\" arg)",
        R"(a.exe C:\temp\ \\server\share\vault\)",
        R"(p "abc" d e)",
        R"(p a\\b d"e f"g h)",
        R"(p a\\\"b c d)",
        R"(p a\\\\"b c" d e)",
        R"(p a"b"" c d)",
        R"(p "a""b c")",
        R"(p """")",
        R"(p """""" x)",
        R"(p "" x)",
        "p\t a  \t b  ",
        R"(p "a b)",
        "p 'a b' $HOME;rm *",
        R"("p"x y)",
        R"(p ü "€ x")",
    };
    for (const std::string& line : lines) {
        INFO(line);
        REQUIRE(platform::split_windows_command_line(line).value() == system_split(line));
    }
}

TEST_CASE(
    "command lines built for CreateProcessW give back their argv through "
    "CommandLineToArgvW",
    "[bridge][command-line][windows]") {
    const std::vector<Words> cases = {
        {R"(C:\Program Files\ssoescrow\sso-emulator.exe)", "--state", R"(C:\x y\state.json)"},
        {"p", ""},
        {"p", "a b", "c\td"},
        {"p", R"(quote"inside)", R"(")", R"("")", R"(\")", R"(\\")"},
        {"p", R"(C:\trailing\)", R"(C:\trailing space\)", R"(\\server\share\vault\)"},
        {"p", R"(a\\b)", R"(\\\)", R"(x\"y)", "ünïcödé €"},
    };
    for (const Words& argv : cases) {
        const std::string line = platform::join_windows_command_line(argv).value();
        INFO(line);
        REQUIRE(system_split(line) == argv);
    }
}
