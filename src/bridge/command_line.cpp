#include "src/bridge/command_line.hpp"

namespace ssoescrow::bridge {

Result<std::vector<std::string>> split_command_line(std::string_view command) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    std::size_t i = 0;
    auto fail = [&command](const std::string& what) {
        return make_error(
            Errc::usage, "--bridge: " + what,
            "quote the bridge command as a POSIX shell would, e.g. "
            "--bridge \"powershell -File 'C:\\Program Files\\ssoescrow\\sso-bridge.ps1'\" "
            "(got " +
                std::to_string(command.size()) + " characters)");
    };
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

}  // namespace ssoescrow::bridge
