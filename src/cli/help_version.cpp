// `ssoescrow help [COMMAND...]` prints the help of the program or of one command (the same text
// as `ssoescrow COMMAND --help`); `ssoescrow version` prints the version (as `--version` does).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "src/cli/command.hpp"
#include "src/cli/command_line_errors.hpp"
#include "src/version.hpp"

namespace ssoescrow::cli {

std::string version_text() {
    return "ssoescrow " + std::string(build_version());
}

void add_help_and_version_commands(CLI::App& app, Command& selected) {
    auto words = std::make_shared<std::vector<std::string>>();
    CLI::App* help = app.add_subcommand("help", "Show the help of ssoescrow or of one command");
    help->add_option("command", *words, "The command, e.g. 'vault list'");
    help->footer("Example: ssoescrow help restore apply");
    CLI::App* root = &app;
    help->callback([&selected, words, root] {
        selected.run = [words, root]() -> Result<int> {
            const CommandPath path = find_command(*root, *words);
            if (path.unknown)
                return unknown_command_error(*root, path);
            if (path.words.size() < words->size()) {
                return make_error(
                    Errc::usage,
                    "'" + path.command() + "' has no command '" + (*words)[path.words.size()] + "'",
                    "run 'ssoescrow help " +
                        path.command().substr(std::string("ssoescrow").size()) + "' for its usage");
            }
            // The same text as `COMMAND --help`: CLI11 names a command after its parents. The
            // help of `help` itself was selected by this parse, so the formatter is asked for the
            // chosen command directly.
            std::string name = root->get_name();
            for (const std::string& word : path.words)
                name += " " + word;
            std::cout << path.app->get_formatter()->make_help(path.app, name,
                                                              CLI::AppFormatMode::Normal);
            std::cout.flush();
            return 0;
        };
    });

    CLI::App* version = app.add_subcommand("version", "Show the version of ssoescrow");
    version->callback([&selected] {
        selected.run = []() -> Result<int> {
            std::cout << version_text() << '\n';
            std::cout.flush();
            return 0;
        };
    });
}

}  // namespace ssoescrow::cli
