// The program's arguments as UTF-8, and a console that shows UTF-8 output.
//
// POSIX: argv is already bytes in the locale's encoding (UTF-8 in practice) and is used as is.
// Windows: main()'s argv is in the ANSI code page, which cannot hold every file name or label, so
// the arguments are taken again from GetCommandLineW, split by CommandLineToArgvW and converted
// to UTF-8; and the console's output code page is set to UTF-8 (SetConsoleOutputCP(CP_UTF8)) so
// that the UTF-8 text ssoescrow prints (names, paths, labels) shows correctly.
#pragma once

#include <string>
#include <vector>

namespace ssoescrow::platform {

// Owns the converted strings; argv() stays valid for the lifetime of the object and ends with a
// null pointer, like main()'s.
class Utf8Arguments {
  public:
    explicit Utf8Arguments(std::vector<std::string> arguments);
    Utf8Arguments(const Utf8Arguments&) = delete;
    Utf8Arguments& operator=(const Utf8Arguments&) = delete;
    int argc() const { return static_cast<int>(m_arguments.size()); }
    char** argv() { return m_pointers.data(); }

  private:
    std::vector<std::string> m_arguments;
    std::vector<char*> m_pointers;
};

// main()'s argc/argv on POSIX; the wide command line converted on Windows (argc/argv are then
// used only if the wide command line cannot be had).
Utf8Arguments utf8_arguments(int argc, char** argv);

// Windows: console output in UTF-8. POSIX: nothing to do.
void use_utf8_console() noexcept;

}  // namespace ssoescrow::platform
