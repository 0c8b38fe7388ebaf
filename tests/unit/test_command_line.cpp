// Both rule sets for splitting --bridge, and the Windows command line built for CreateProcessW,
// on every system (tests/unit/windows/ also compares them with the real CommandLineToArgvW).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "platform/command_line.hpp"

using namespace ssoescrow;
using platform::join_windows_command_line;
using platform::split_posix_command_line;
using platform::split_windows_command_line;
using Words = std::vector<std::string>;

TEST_CASE("windows rules: the administrator's quoted bridge command", "[bridge][command-line]") {
    // What cmd.exe or PowerShell pass on for
    //   --bridge "powershell.exe -NoProfile -File \"C:\Program Files\ssoescrow\sso-bridge.ps1\""
    REQUIRE(split_windows_command_line(
                R"(powershell.exe -NoProfile -File "C:\Program Files\ssoescrow\sso-bridge.ps1")")
                .value() == Words{"powershell.exe", "-NoProfile", "-File",
                                  R"(C:\Program Files\ssoescrow\sso-bridge.ps1)"});
    // A quoted program path with a space; backslashes are literal in it, even before the quote.
    REQUIRE(split_windows_command_line(R"("C:\Program Files\PowerShell\7\pwsh.exe" -File x.ps1)")
                .value() == Words{R"(C:\Program Files\PowerShell\7\pwsh.exe)", "-File", "x.ps1"});
    REQUIRE(split_windows_command_line(R"("C:\dir\\" arg)").value() == Words{R"(C:\dir\\)", "arg"});
    // Unquoted backslashes, and a trailing backslash, stay as they are (POSIX would eat them).
    REQUIRE(split_windows_command_line(R"(a.exe C:\temp\ \\server\share\vault\)").value() ==
            Words{"a.exe", R"(C:\temp\)", R"(\\server\share\vault\)"});
}

TEST_CASE("windows rules: backslashes before quotes, doubled quotes, blanks",
          "[bridge][command-line]") {
    auto split = [](std::string_view text) { return split_windows_command_line(text).value(); };
    // The table of Microsoft's "Parsing C++ command-line arguments".
    REQUIRE(split(R"(p "abc" d e)") == Words{"p", "abc", "d", "e"});
    REQUIRE(split(R"(p a\\b d"e f"g h)") == Words{"p", R"(a\\b)", "de fg", "h"});
    REQUIRE(split(R"(p a\\\"b c d)") == Words{"p", R"(a\"b)", "c", "d"});
    REQUIRE(split(R"(p a\\\\"b c" d e)") == Words{"p", R"(a\\b c)", "d", "e"});
    // Where that table (the C runtime since 2008) and CommandLineToArgvW differ, this is
    // CommandLineToArgvW: "" inside quotes ends the quoted part (the C runtime stays in it and
    // would give `ab" c d`).
    REQUIRE(split(R"(p a"b"" c d)") == Words{"p", R"(ab")", "c", "d"});
    // "" inside quotes: one literal quote, and the quoted part ends.
    REQUIRE(split(R"(p "a""b c")") == Words{"p", R"(a"b)", "c"});
    REQUIRE(split(R"(p """")") == Words{"p", R"(")"});
    REQUIRE(split(R"(p "" x)") == Words{"p", "", "x"});
    // Blanks: spaces and tabs separate; runs count once; trailing ones are ignored, and so are
    // leading ones (where CommandLineToArgvW would return an empty program name).
    REQUIRE(split("  p\t a  \t b  ") == Words{"p", "a", "b"});
    // An unterminated quote runs to the end; $, ', ;, * mean nothing.
    REQUIRE(split(R"(p "a b)") == Words{"p", "a b"});
    REQUIRE(split("p 'a b' $HOME;rm *") == Words{"p", "'a", "b'", "$HOME;rm", "*"});
    // The program word ends at its closing quote even without a blank after it.
    REQUIRE(split(R"("p"x y)") == Words{"p", "x", "y"});
    REQUIRE(split_windows_command_line("").error().code == Errc::usage);
    REQUIRE(split_windows_command_line(" \t ").error().code == Errc::usage);
}

TEST_CASE("bridge command lines split like a POSIX shell on POSIX rules",
          "[bridge][command-line]") {
    REQUIRE(split_posix_command_line(
                R"(powershell -NoProfile -File 'C:\Program Files\ssoescrow\sso-bridge.ps1')")
                .value() == Words{"powershell", "-NoProfile", "-File",
                                  R"(C:\Program Files\ssoescrow\sso-bridge.ps1)"});
    REQUIRE(split_posix_command_line(R"(a C:\temp)").value() == Words{"a", "C:temp"});
}

TEST_CASE("split_command_line uses this system's rules", "[bridge][command-line]") {
    const std::string command = R"(p "a\\" 'b c')";
#ifdef _WIN32
    REQUIRE(platform::split_command_line(command).value() == Words{"p", R"(a\)", "'b", "c'"});
#else
    REQUIRE(platform::split_command_line(command).value() == Words{"p", R"(a\)", "b c"});
#endif
}

TEST_CASE("windows command lines round-trip through the windows rules", "[bridge][command-line]") {
    const std::vector<Words> cases = {
        {"sso-bridge.exe", "status"},
        {R"(C:\Program Files\ssoescrow\sso-emulator.exe)", "--state", R"(C:\x y\state.json)"},
        {"p", ""},
        {"p", "a b", "c\td", "e\nf", "g\vh"},
        {"p", R"(quote"inside)", R"(")", R"("")", R"(\")", R"(\\")"},
        {"p", R"(C:\trailing\)", R"(C:\trailing space\)", R"(\\server\share\vault\)"},
        {"p", R"(a\\b)", R"(\\\)", R"(x\"y)", "ünïcödé €"},
        {"p", "--bridge", R"(powershell.exe -File "C:\Program Files\b.ps1")"},
    };
    for (const Words& argv : cases) {
        const std::string line = join_windows_command_line(argv).value();
        INFO(line);
        REQUIRE(split_windows_command_line(line).value() == argv);
    }
    REQUIRE(join_windows_command_line({R"(C:\Program Files\a.exe)", "x"}).value() ==
            R"("C:\Program Files\a.exe" x)");
    REQUIRE(join_windows_command_line({"a.exe", R"(C:\dir\)", "b c"}).value() ==
            R"(a.exe C:\dir\ "b c")");
    REQUIRE(join_windows_command_line({"a.exe", R"(C:\dir x\)"}).value() ==
            R"(a.exe "C:\dir x\\")");
    REQUIRE(join_windows_command_line({}).error().code == Errc::usage);
    REQUIRE(join_windows_command_line({R"(a"b.exe)"}).error().code == Errc::usage);
    REQUIRE(join_windows_command_line({"a.exe", std::string("x\0y", 3)}).error().code ==
            Errc::usage);
}
