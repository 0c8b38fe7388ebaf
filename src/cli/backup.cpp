// `ssoescrow backup --vault DIR --bridge CMD [--expect-policy FPR]`: the scheduled backup job
// (src/backup/backup_job.hpp has the steps).
#include <memory>

#include "src/cli/command.hpp"
#include "src/cli/job_options.hpp"

namespace ssoescrow::cli {

void add_backup_command(CLI::App& app, Command& selected) {
    auto options = std::make_shared<JobCliOptions>();
    CLI::App* command = app.add_subcommand(
        "backup", "Back up the ENTSSO master secret through the bridge and seal it in the vault");
    add_job_options(*command, *options, true);
    command->add_flag("--skip-on-passive-node", options->skip_on_passive_node,
                      "On a cluster node that does not own the SSO group, exit 0 without doing "
                      "anything (schedule the same job on every node)");
    command->footer(
        "Runs on the master secret server. ENTSSO writes the backup to a private scratch\n"
        "directory under a generated password; the file, its password and reminder are sealed\n"
        "to the vault's custodians, committed, checked, and the scratch copy is overwritten and\n"
        "removed on every path. Then the vault is pruned per its retention policy.\n"
        "Exit status: 0 committed (and pruned); 2 usage; 3 bad input; 5 vault I/O (read-only,\n"
        "full); 7 vault locked by another writer; 8 vault damaged; 9 bridge failed (crash,\n"
        "hang, garbage, no file); 10 ENTSSO error (e.g. not the master secret server);\n"
        "11 the vault policy is not the one given with --expect-policy.");
    command->callback([&selected, options] {
        selected.convention = ExitConvention::standard;
        selected.run = [options]() { return run_bridge_job(backup::JobKind::backup, *options); };
    });
}

}  // namespace ssoescrow::cli
