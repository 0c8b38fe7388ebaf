#include "src/cli/command.hpp"

namespace ssoescrow::cli {

void add_all_commands(CLI::App& app, Command& selected) {
    add_custodian_commands(app, selected);
    add_signer_commands(app, selected);
    add_vault_commands(app, selected);
    add_backup_command(app, selected);
    add_rotate_command(app, selected);
    add_import_command(app, selected);
    add_restore_commands(app, selected);
    add_rekey_commands(app, selected);
    add_status_command(app, selected);
    add_topology_commands(app, selected);
    add_bridge_commands(app, selected);
    add_selftest_command(app, selected);
    add_help_and_version_commands(app, selected);
}

}  // namespace ssoescrow::cli
