// Command-line mistakes in the project's words: an unknown or mistyped subcommand is named with
// the nearest ones suggested, a parser error becomes an `ssoescrow: error:` sentence, and every
// hint points at the subcommand's own `--help`. main() uses these before and after CLI11 parses;
// `ssoescrow help COMMAND` uses find_command too.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"

namespace ssoescrow::cli {

// The subcommands a command line names, as far as they go.
struct CommandPath {
    CLI::App* app = nullptr;             // the deepest subcommand named (the root when none)
    std::vector<std::string> words;      // its words after the program name: {"vault", "list"}
    std::optional<std::string> unknown;  // a word where a subcommand was expected that names none

    // "ssoescrow vault list" (or "ssoescrow").
    std::string command() const;
};

// Walks `args` (without the program name) from `root` down the subcommands they name. The walk
// stops at the first option (a word starting with '-'), at a command without subcommands, or at
// an unknown word (then `unknown` holds it).
CommandPath find_command(CLI::App& root, const std::vector<std::string>& args);

// The names among `candidates` nearest to `word`: those starting with it, else those the fewest
// edits away (insert, delete, substitute or swap two neighbours), at most two.
std::vector<std::string> nearest_names(std::string_view word,
                                       const std::vector<std::string>& candidates);

// Errc::usage "unknown command 'vault lsit'" with the hint "did you mean 'vault list'? ...", for
// a path whose walk found an unknown word.
Error unknown_command_error(CLI::App& root, const CommandPath& path);

// A CLI11 parse error as an Errc::usage Error in the project's words, hint "run 'ssoescrow
// vault list --help' for usage".
Error parse_error(const CLI::ParseError& error, const CommandPath& path);

}  // namespace ssoescrow::cli
