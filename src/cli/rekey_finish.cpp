// `ssoescrow rekey finish --vault DIR [--signing-key FILE]`: completes a rekey that was committed
// and interrupted (FORMAT.md 4.10): replaces the config, records every new backup, prunes the old
// ones and removes VAULT/rekey/. Idempotent; an uncommitted ceremony is rolled back instead.
#include <iostream>
#include <memory>
#include <string>

#include "platform/path_text.hpp"
#include "src/cli/rekey_commands.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/rekey/apply.hpp"
#include "src/signing_key.hpp"

namespace ssoescrow::cli {

namespace {

struct RekeyFinishOptions {
    std::string vault;
    std::string signing_key;
    std::string state_dir;
    unsigned wait_seconds = 0;
};

Result<int> run_rekey_finish(const RekeyFinishOptions& options) {
    TRY_ASSIGN(const crypto::SigningKey signer,
               signing_key_for(options.signing_key, options.state_dir));
    vault::LockOptions lock;
    lock.operation = "rekey-finish";
    lock.clock = &vault::system_clock();
    lock.wait = std::chrono::seconds(options.wait_seconds);
    TRY_ASSIGN(const rekey::FinishOutcome outcome,
               rekey::finish_rekey(platform::path_from_utf8(options.vault), signer, lock,
                                   writer_context(options.state_dir)));
    remember_vault_head_or_warn(options.vault, options.state_dir);
    if (outcome.rolled_back) {
        std::cout << "rolled back an uncommitted rekey ceremony: every backup is still sealed "
                     "to the vault's policy\n";
    } else if (outcome.request.empty()) {
        std::cout << "no rekey to finish in " << options.vault << "\n";
    } else {
        std::cout << "finished the rekey of request " << outcome.request << ": "
                  << outcome.backups.size() << " backups\n";
        for (const rekey::RekeyedBackup& b : outcome.backups)
            std::cout << "  " << b.old_backup << " -> " << b.new_backup << "\n";
        print_after_rekey(options.vault, "", outcome.new_policy);
    }
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_rekey_finish_command(CLI::App& rekey, Command& selected) {
    auto options = std::make_shared<RekeyFinishOptions>();
    CLI::App* command = rekey.add_subcommand(
        "finish", "Complete a committed rekey that was interrupted (idempotent)");
    command->add_option("--vault", options->vault, "Vault directory")->required();
    command->add_option("--signing-key", options->signing_key,
                        "Signing key of a signer of the new policy (default: this host's key)");
    command->add_option("--state-dir", options->state_dir,
                        "State root: this host's signing key and latest-seen audit head");
    command->add_option("--wait", options->wait_seconds,
                        "Seconds to wait for another writer's lock (default 0: fail at once)");
    command->footer(
        "Needs no approvals: the committed ceremony's new envelopes and config are in\n"
        "VAULT/rekey/. An uncommitted ceremony is rolled back instead; none is nothing to do;\n"
        "one awaiting proof (--verify-custodians) is left alone, exit 6.\n"
        "Exit status: 0 finished (or nothing to do); 5 I/O; 6 signing key not in the new\n"
        "policy, a ceremony awaiting proof; 7 locked; 8 damaged vault or pending state.");
    command->callback(
        [options, &selected] { selected.run = [options] { return run_rekey_finish(*options); }; });
}

}  // namespace ssoescrow::cli
