// `ssoescrow rekey abandon --vault DIR`: removes an uncommitted rekey ceremony, typically one
// prepared with `rekey apply --verify-custodians` whose new custodians cannot prove (FORMAT.md
// 4.10). Every backup stays sealed to the vault's policy; a committed ceremony is refused (it is
// finished, never undone).
#include <iostream>
#include <memory>
#include <string>

#include "platform/path_text.hpp"
#include "src/cli/rekey_commands.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/rekey/apply.hpp"

namespace ssoescrow::cli {

namespace {

struct RekeyAbandonOptions {
    std::string vault;
    std::string state_dir;
    unsigned wait_seconds = 0;
};

Result<int> run_rekey_abandon(const RekeyAbandonOptions& options) {
    vault::LockOptions lock;
    lock.operation = "rekey-abandon";
    lock.clock = &vault::system_clock();
    lock.wait = std::chrono::seconds(options.wait_seconds);
    TRY_ASSIGN(const std::string request,
               rekey::abandon_rekey(platform::path_from_utf8(options.vault), lock,
                                    writer_context(options.state_dir)));
    remember_vault_head_or_warn(options.vault, options.state_dir);
    if (request.empty()) {
        std::cout << "no rekey ceremony in " << options.vault << "\n";
    } else {
        std::cout << "removed the uncommitted rekey ceremony of request " << request
                  << ": every backup is still sealed to the vault's policy; its approvals and "
                     "proofs are of no further use\n";
    }
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_rekey_abandon_command(CLI::App& rekey, Command& selected) {
    auto options = std::make_shared<RekeyAbandonOptions>();
    CLI::App* command = rekey.add_subcommand(
        "abandon", "Remove an uncommitted rekey ceremony (one awaiting proof)");
    command->add_option("--vault", options->vault, "Vault directory")->required();
    command->add_option("--state-dir", options->state_dir,
                        "State root: this host's latest-seen audit head");
    command->add_option("--wait", options->wait_seconds,
                        "Seconds to wait for another writer's lock (default 0: fail at once)");
    command->footer(
        "Removes VAULT/rekey/ when no audit record commits it: the vault is exactly as before\n"
        "the ceremony. The same request can be prepared again with its approvals until it\n"
        "expires. A committed ceremony is refused: 'rekey finish' completes it.\n"
        "Exit status: 0 removed (or nothing to do); 5 I/O; 6 committed; 7 locked; 8 damaged\n"
        "vault or manifest.");
    command->callback(
        [options, &selected] { selected.run = [options] { return run_rekey_abandon(*options); }; });
}

}  // namespace ssoescrow::cli
