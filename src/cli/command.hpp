// How subcommands plug into main. Each subcommand lives in its own file under src/cli/ and
// exposes one add_* function that declares its options on the CLI11 app and, when the user picks
// it, stores the action to run in `selected`. main() runs that action and alone decides the exit
// code (src/exit_codes.hpp).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "crypto/result.hpp"

namespace ssoescrow::cli {

enum class ExitConvention {
    standard,    // errors map through exit_code_for()
    monitoring,  // 0 OK, 1 WARNING, 2 CRITICAL; any error is 3 UNKNOWN
};

struct Command {
    // Returns the exit code to use on success (0 for most commands; 0..2 for monitoring ones).
    std::function<Result<int>()> run;
    ExitConvention convention = ExitConvention::standard;
};

// The explicit list of subcommand groups (no static self-registration). src/cli/commands.cpp
// calls each of these in order.
void add_custodian_commands(CLI::App& app, Command& selected);
void add_topology_commands(CLI::App& app, Command& selected);
void add_vault_commands(CLI::App& app, Command& selected);
void add_selftest_command(CLI::App& app, Command& selected);
void add_backup_command(CLI::App& app, Command& selected);
void add_rotate_command(CLI::App& app, Command& selected);
void add_import_command(CLI::App& app, Command& selected);
void add_restore_commands(CLI::App& app, Command& selected);
void add_rekey_commands(CLI::App& app, Command& selected);
void add_status_command(CLI::App& app, Command& selected);
void add_signer_commands(CLI::App& app, Command& selected);
void add_bridge_commands(CLI::App& app, Command& selected);

// `help [COMMAND...]` and `version` (src/cli/help_version.cpp); registered last.
void add_help_and_version_commands(CLI::App& app, Command& selected);

void add_all_commands(CLI::App& app, Command& selected);

// "ssoescrow X.Y.Z", for `version` and `--version`.
std::string version_text();

// Members of the `custodian` group (src/cli/custodian_*.cpp).
void add_custodian_verify(CLI::App& custodian, Command& selected);

// Members of the `signer` group (src/cli/signer_*.cpp).
void add_signer_show(CLI::App& signer, Command& selected);
void add_signer_keygen(CLI::App& signer, Command& selected);

}  // namespace ssoescrow::cli
