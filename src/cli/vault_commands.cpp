#include "src/cli/command.hpp"

namespace ssoescrow::cli {

void add_vault_commands(CLI::App&, Command&) {}

}  // namespace ssoescrow::cli
