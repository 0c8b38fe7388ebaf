// `ssoescrow rotate --vault DIR --bridge CMD [--expect-policy FPR]`: a new master secret,
// escrowed in the same run (bridge `generate` writes the backup of the new secret).
#include <memory>

#include "src/cli/command.hpp"
#include "src/cli/job_options.hpp"

namespace ssoescrow::cli {

void add_rotate_command(CLI::App& app, Command& selected) {
    auto options = std::make_shared<JobCliOptions>();
    CLI::App* command = app.add_subcommand(
        "rotate", "Generate a new ENTSSO master secret and seal its backup in the vault at once");
    add_job_options(*command, *options, true);
    command->footer(
        "Before anything is generated the vault must be writable (lock taken, a test write in\n"
        "envelopes/ and audit/ succeeds) and this computer must be the master secret server,\n"
        "so a new secret is never created that cannot be escrowed. If escrowing fails after\n"
        "the generate, the error says so and names the repair: 'ssoescrow backup' right away.\n"
        "After a rotate, restore the new secret on every other cluster node.\n"
        "Exit status: as for backup.");
    command->callback([&selected, options] {
        selected.convention = ExitConvention::standard;
        selected.run = [options]() { return run_bridge_job(backup::JobKind::rotate, *options); };
    });
}

}  // namespace ssoescrow::cli
