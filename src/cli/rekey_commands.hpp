// The `rekey` subcommand group (custodian turnover, FORMAT.md 4.10): rekey_commands.cpp creates
// the group and calls one add_* function per subcommand (rekey_request.cpp, rekey_approve.cpp,
// rekey_apply.cpp, rekey_finish.cpp, rekey_prove.cpp, rekey_abandon.cpp).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "crypto/result.hpp"
#include "crypto/sign.hpp"
#include "src/cli/command.hpp"
#include "src/rekey/ceremony.hpp"
#include "src/restore/request.hpp"

namespace ssoescrow::cli {

void add_rekey_request_command(CLI::App& rekey, Command& selected);
void add_rekey_approve_command(CLI::App& rekey, Command& selected);
void add_rekey_apply_command(CLI::App& rekey, Command& selected);
void add_rekey_finish_command(CLI::App& rekey, Command& selected);
void add_rekey_prove_command(CLI::App& rekey, Command& selected);
void add_rekey_abandon_command(CLI::App& rekey, Command& selected);

// Reads and parses a rekey request file (a mail or Notepad copy reads as the original).
Result<rekey::RekeyRequest> read_rekey_request(const std::string& file);

// What every finished rekey tells the operator: re-pin backup hosts and monitoring, and what a
// rekey cannot do (rekey_apply.cpp).
void print_after_rekey(const std::string& vault, const std::string& old_policy,
                       const std::string& new_policy);

}  // namespace ssoescrow::cli
