// The `restore` subcommand group: restore_commands.cpp creates the group and calls one add_*
// function per subcommand (restore_request.cpp, restore_approve.cpp, restore_apply.cpp).
#pragma once

#include <CLI/CLI.hpp>

#include "src/cli/command.hpp"

namespace ssoescrow::cli {

void add_restore_request_command(CLI::App& restore, Command& selected);
void add_restore_approve_command(CLI::App& restore, Command& selected);
// `restore apply` and `restore record-receipt`.
void add_restore_apply_command(CLI::App& restore, Command& selected);

}  // namespace ssoescrow::cli
