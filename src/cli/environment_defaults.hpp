// Defaults from the environment for what is not secret (restic style): SSOESCROW_VAULT for
// --vault, SSOESCROW_BRIDGE for --bridge, SSOESCROW_STATE_DIR for --state-dir. An option on the
// command line always wins; a secret is never read from the environment. `restore apply` never
// takes --bridge from the environment: there the bridge decides that a restore happens.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "src/cli/command_line_errors.hpp"

namespace ssoescrow::cli {

struct EnvironmentDefault {
    std::string_view option;    // "--vault"
    std::string_view variable;  // "SSOESCROW_VAULT"
};

inline constexpr EnvironmentDefault k_environment_defaults[] = {
    {"--vault", "SSOESCROW_VAULT"},
    {"--bridge", "SSOESCROW_BRIDGE"},
    {"--state-dir", "SSOESCROW_STATE_DIR"},
};

// Adds "(default: $SSOESCROW_...)" to the help of these options on every command that takes them.
void document_environment_defaults(CLI::App& root);

// `args` (without the program name) with "OPTION VALUE" added for every option of the table that
// the command `path` takes, that `args` do not give, and whose variable is set and not empty. The
// values are read as UTF-8 on every system (platform/environment.hpp). Added before a "--"
// separator, else at the end.
std::vector<std::string> with_environment_defaults(const CommandPath& path,
                                                   std::vector<std::string> args);

}  // namespace ssoescrow::cli
