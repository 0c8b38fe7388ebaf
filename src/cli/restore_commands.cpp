// `ssoescrow restore ...`: the disaster-recovery restore with custodian approvals
// (src/restore/request.hpp, src/restore/apply.hpp; FORMAT.md 4.9).
#include "src/cli/restore_commands.hpp"

namespace ssoescrow::cli {

void add_restore_commands(CLI::App& app, Command& selected) {
    CLI::App* restore = app.add_subcommand(
        "restore", "Restore the master secret with custodian approvals (request, approve, apply)");
    restore->require_subcommand(1);
    restore->footer(
        "1. the operator: 'restore request --vault DIR --out REQ' (writes REQ and REQ.key)\n"
        "2. each of K custodians: 'restore approve REQ --identity A.key --out A.approval'\n"
        "3. the operator: 'restore apply REQ --vault DIR --approval A.approval ... --bridge CMD'\n"
        "   (or --drill to prove the backup restores, or --extract DIR for a manual restore)");
    add_restore_request_command(*restore, selected);
    add_restore_approve_command(*restore, selected);
    add_restore_apply_command(*restore, selected);
}

}  // namespace ssoescrow::cli
