// `ssoescrow bridge check --bridge CMD [--destructive] [--json] [--timeout S] [--temp-dir DIR]`:
// the administrator's acceptance test of a bridge on the real server (src/bridge/bridge_check.hpp
// holds the checks). Exit 0 when every check passes, 9 (the bridge failed) when any fails; the
// report goes to stdout either way.
#include <iostream>
#include <memory>
#include <string>

#include "platform/path_text.hpp"
#include "src/backup/scratch_dir.hpp"
#include "src/bridge/bridge_check.hpp"
#include "src/cli/command.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/exit_codes.hpp"
#include "src/terminal.hpp"

namespace ssoescrow::cli {

namespace {

struct BridgeCheckOptions {
    std::string bridge;
    bool destructive = false;
    bool json = false;
    unsigned timeout_seconds = 120;
    std::string temp_dir;
};

Result<int> run_bridge_check(const BridgeCheckOptions& options) {
    TRY_ASSIGN(bridge::BridgeClient client,
               bridge::BridgeClient::from_command_line(
                   options.bridge, std::chrono::seconds(options.timeout_seconds)));
    bridge::CheckOptions check;
    check.destructive = options.destructive;
    TRY_ASSIGN(check.scratch_parent,
               backup::scratch_parent(platform::path_from_utf8(options.temp_dir)));
    if (options.destructive) {
        print_warning(
            "--destructive restores a backup onto this server and generates a NEW master "
            "secret (the old one becomes the previous one; every other SSO server, and every "
            "cluster node, then needs the new one restored): use it on a test server only");
    }
    TRY_ASSIGN(const bridge::CheckReport report,
               bridge::run_bridge_check(std::move(client), check));
    std::cout << (options.json ? bridge::format_check_json(report)
                               : bridge::format_check_text(report));
    TRY(flush_stdout());
    return report.all_passed() ? k_exit_ok : k_exit_bridge;
}

}  // namespace

void add_bridge_commands(CLI::App& app, Command& selected) {
    CLI::App* group = app.add_subcommand("bridge", "Check an SSO bridge against the protocol");
    group->require_subcommand(1);
    auto options = std::make_shared<BridgeCheckOptions>();
    CLI::App* command = group->add_subcommand(
        "check",
        "Check every operation of a bridge against ssoescrow-bridge/1: run it once on the "
        "master secret server before trusting the scheduled jobs");
    command
        ->add_option("--bridge", options->bridge,
                     "The SSO bridge command line (as for backup; the operation is appended)")
        ->required();
    command->add_flag("--destructive", options->destructive,
                      "Also check restore (of the backup just taken) and generate (a NEW master "
                      "secret): for a test server only");
    command->add_flag("--json", options->json,
                      "Print the report as JSON (schema ssoescrow-bridge-check/1)");
    command
        ->add_option("--timeout,--bridge-timeout", options->timeout_seconds,
                     "Seconds each bridge call may take before it is killed (default 120, as "
                     "for the jobs)")
        ->check(CLI::Range(1u, 3600u));
    command->add_option("--temp-dir", options->temp_dir,
                        "Local directory for the private scratch directory of the test backups "
                        "(default: $TMPDIR or /tmp; on Windows a local NTFS disk)");
    command->footer(
        "Exit status: 0 every check passed; 9 at least one check failed (the report says\n"
        "which); 2 usage; 5 the scratch directory cannot be made.");
    command->callback([&selected, options] {
        selected.run = [options]() { return run_bridge_check(*options); };
    });
}

}  // namespace ssoescrow::cli
