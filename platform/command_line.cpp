#include "platform/command_line.hpp"

namespace ssoescrow::platform {
namespace {

Error usage_error(std::string_view command, const std::string& what) {
#ifdef _WIN32
    const char* example =
        "quote the bridge command as for a Windows program, e.g. --bridge \"powershell.exe "
        "-NoProfile -File \\\"C:\\Program Files\\ssoescrow\\sso-bridge.ps1\\\"\"";
#else
    const char* example =
        "quote the bridge command as a POSIX shell would, e.g. "
        "--bridge \"powershell -File 'C:\\Program Files\\ssoescrow\\sso-bridge.ps1'\"";
#endif
    return make_error(
        Errc::usage, "--bridge: " + what,
        std::string(example) + " (got " + std::to_string(command.size()) + " characters)");
}

bool is_windows_blank(char c) {
    return c == ' ' || c == '\t';
}

}  // namespace

Result<std::vector<std::string>> split_posix_command_line(std::string_view command) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    std::size_t i = 0;
    auto fail = [&command](const std::string& what) { return usage_error(command, what); };
    while (i < command.size()) {
        char c = command[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word)
                words.push_back(std::move(word));
            word.clear();
            in_word = false;
            ++i;
            continue;
        }
        in_word = true;
        if (c == '\'') {
            std::size_t end = command.find('\'', i + 1);
            if (end == std::string_view::npos)
                return fail("unterminated single quote");
            word.append(command.substr(i + 1, end - i - 1));
            i = end + 1;
        } else if (c == '"') {
            ++i;
            for (;;) {
                if (i >= command.size())
                    return fail("unterminated double quote");
                char d = command[i];
                if (d == '"') {
                    ++i;
                    break;
                }
                if (d == '\\' && i + 1 < command.size()) {
                    char next = command[i + 1];
                    if (next == '"' || next == '\\' || next == '$' || next == '`') {
                        word.push_back(next);
                        i += 2;
                        continue;
                    }
                    if (next == '\n') {
                        i += 2;
                        continue;
                    }
                }
                word.push_back(d);
                ++i;
            }
        } else if (c == '\\') {
            if (i + 1 >= command.size())
                return fail("trailing backslash");
            if (command[i + 1] != '\n')
                word.push_back(command[i + 1]);
            i += 2;
        } else {
            word.push_back(c);
            ++i;
        }
    }
    if (in_word)
        words.push_back(std::move(word));
    if (words.empty())
        return fail("the bridge command is empty");
    return words;
}

// The algorithm of CommandLineToArgvW (as documented by Microsoft's "Parsing C++ command-line
// arguments" and implemented identically by Wine's shell32): `quotes` counts the quotes of the
// current run modulo 3, which is how "" inside quotes yields one " and leaves quoting.
Result<std::vector<std::string>> split_windows_command_line(std::string_view command) {
    std::size_t i = 0;
    while (i < command.size() && is_windows_blank(command[i]))
        ++i;
    if (i == command.size())
        return usage_error(command, "the bridge command is empty");

    std::vector<std::string> words;
    std::string program;
    if (command[i] == '"') {
        ++i;
        while (i < command.size() && command[i] != '"')
            program.push_back(command[i++]);
        if (i < command.size())
            ++i;  // the closing quote
    } else {
        while (i < command.size() && !is_windows_blank(command[i]))
            program.push_back(command[i++]);
    }
    words.push_back(std::move(program));
    // Like CommandLineToArgvW, the program word ends where its rule says, even when no blank
    // follows ("a"b gives a and b).
    while (i < command.size() && is_windows_blank(command[i]))
        ++i;

    std::string word;
    bool in_word = false;
    int quotes = 0;
    std::size_t backslashes = 0;
    while (i < command.size()) {
        const char c = command[i];
        if (is_windows_blank(c) && quotes == 0) {
            words.push_back(std::move(word));
            word.clear();
            in_word = false;
            backslashes = 0;
            while (i < command.size() && is_windows_blank(command[i]))
                ++i;
            continue;
        }
        in_word = true;
        if (c == '\\') {
            word.push_back(c);
            ++backslashes;
            ++i;
        } else if (c == '"') {
            if (backslashes % 2 == 0) {
                word.resize(word.size() - backslashes / 2);
                ++quotes;
            } else {
                word.resize(word.size() - backslashes / 2 - 1);
                word.push_back('"');
            }
            ++i;
            backslashes = 0;
            while (i < command.size() && command[i] == '"') {
                if (++quotes == 3) {
                    word.push_back('"');
                    quotes = 0;
                }
                ++i;
            }
            if (quotes == 2)
                quotes = 0;
        } else {
            word.push_back(c);
            backslashes = 0;
            ++i;
        }
    }
    if (in_word)
        words.push_back(std::move(word));
    return words;
}

Result<std::vector<std::string>> split_command_line(std::string_view command) {
#ifdef _WIN32
    return split_windows_command_line(command);
#else
    return split_posix_command_line(command);
#endif
}

Result<std::string> join_windows_command_line(const std::vector<std::string>& argv) {
    if (argv.empty())
        return make_error(Errc::usage, "--bridge: the bridge command is empty");
    for (const std::string& arg : argv) {
        if (arg.find('\0') != std::string::npos) {
            return make_error(Errc::usage,
                              "--bridge: an argument of the bridge holds a NUL character");
        }
    }
    const std::string& program = argv.front();
    if (program.empty() || program.find('"') != std::string::npos) {
        return make_error(Errc::usage,
                          "--bridge: the bridge program name is empty or contains a quote (\")",
                          "name the program without quotes inside its name");
    }
    std::string line;
    // The program word cannot escape anything: quote it whole when it holds a blank.
    if (program.find_first_of(" \t") != std::string::npos)
        line += '"' + program + '"';
    else
        line += program;

    for (std::size_t a = 1; a < argv.size(); ++a) {
        const std::string& arg = argv[a];
        line += ' ';
        if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string::npos) {
            line += arg;
            continue;
        }
        // Quoted: backslashes are doubled only where they precede a quote (an escaped one or the
        // closing one); elsewhere they are literal.
        line += '"';
        std::size_t backslashes = 0;
        for (char c : arg) {
            if (c == '\\') {
                ++backslashes;
                continue;
            }
            if (c == '"') {
                line.append(backslashes * 2 + 1, '\\');
                line += '"';
            } else {
                line.append(backslashes, '\\');
                line += c;
            }
            backslashes = 0;
        }
        line.append(backslashes * 2, '\\');
        line += '"';
    }
    return line;
}

}  // namespace ssoescrow::platform
