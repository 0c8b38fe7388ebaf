// `ssoescrow rekey apply RKREQ --vault DIR --approval A ... [--signing-key FILE]`: step 3 of a
// rekey, by the operator under the writer lock (src/rekey/apply.hpp, FORMAT.md 4.10). Every
// covered backup is opened with the old custodians' approvals and sealed again to the new policy;
// the old envelopes are pruned. Prints how to re-pin backup hosts and monitoring, and what a
// rekey cannot do.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "crypto/exchanged_text.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/rekey_commands.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/rekey/apply.hpp"
#include "src/signing_key.hpp"
#include "src/terminal.hpp"

namespace ssoescrow::cli {

namespace {

struct RekeyApplyOptions {
    std::string request;
    std::string vault;
    std::vector<std::string> approvals;
    std::string key;
    std::string signing_key;
    std::string state_dir;
    bool leave_uncovered = false;
    unsigned wait_seconds = 0;
};

Result<restore::RequestKey> read_rekey_key(const rekey::RekeyRequest& request,
                                           const std::string& file) {
    TRY_ASSIGN(
        const crypto::SecretBytes bytes,
        platform::read_secret_file(platform::path_from_utf8(file), restore::k_max_request_key_size,
                                   platform::RequireOwnerOnly::yes));
    TRY_ASSIGN(restore::RequestKey key, restore::parse_request_key(bytes, file));
    TRY(rekey::check_rekey_key(request, key, file));
    return key;
}

Result<std::vector<rekey::ApprovalFile>> read_approvals(const std::vector<std::string>& files) {
    std::vector<rekey::ApprovalFile> out;
    for (const std::string& file : files) {
        TRY_ASSIGN(Bytes bytes, platform::read_file(platform::path_from_utf8(file),
                                                    crypto::exchanged_file_read_limit(
                                                        rekey::k_max_rekey_approval_size)));
        out.push_back({file, std::move(bytes)});
    }
    return out;
}

}  // namespace

// What every finished rekey tells the operator (also printed by `rekey finish`).
void print_after_rekey(const std::string& vault, const std::string& old_policy,
                       const std::string& new_policy) {
    std::cout
        << "the escrow policy of " << vault << " is now " << new_policy << "\n"
        << "re-pin every backup host: its scheduled job refuses (exit 11) while it pins the old\n"
        << "  policy" << (old_policy.empty() ? std::string() : " " + old_policy)
        << "; run its job once with\n"
        << "  --expect-policy " << new_policy << "\n"
        << "  (e.g. 'ssoescrow backup --vault " << vault << " --bridge CMD --expect-policy "
        << new_policy << "'), and give the custodians the new fingerprint to record\n"
        << "monitoring: replace the old policy fingerprint by " << new_policy
        << " wherever it is pinned;\n"
        << "  'ssoescrow status --vault " << vault << "' no longer asks for a rekey\n"
        << "what a rekey cannot do: a copy of an old envelope made before now (a file-share\n"
        << "  backup, an off-site mirror of the vault) still opens with the old custodians'\n"
        << "  shares. The complete answer to a departure is this rekey, then a new master secret:\n"
        << "  'ssoescrow rotate --vault " << vault << " --bridge CMD'\n";
}

namespace {

Result<int> run_rekey_apply(const RekeyApplyOptions& options) {
    if (options.approvals.empty())
        return make_error(Errc::usage, "give the old custodians' approvals with --approval FILE");
    TRY_ASSIGN(const rekey::RekeyRequest request, read_rekey_request(options.request));
    TRY_ASSIGN(
        const restore::RequestKey key,
        read_rekey_key(request, options.key.empty() ? options.request + ".key" : options.key));
    TRY_ASSIGN(const crypto::SigningKey signer,
               signing_key_for(options.signing_key, options.state_dir));
    rekey::ApplyOptions apply;
    apply.vault_dir = platform::path_from_utf8(options.vault);
    apply.signer = &signer;
    TRY_ASSIGN(apply.approvals, read_approvals(options.approvals));
    apply.leave_uncovered = options.leave_uncovered;
    apply.lock.operation = "rekey";
    apply.lock.clock = &vault::system_clock();
    apply.lock.wait = std::chrono::seconds(options.wait_seconds);
    apply.writer = writer_context(options.state_dir);
    TRY_ASSIGN(const rekey::ApplyOutcome outcome, rekey::apply_rekey(request, key, apply));
    remember_vault_head_or_warn(options.vault, options.state_dir);

    const std::string id = restore::request_id_hex(request.id);
    if (outcome.rolled_back)
        std::cout << "rolled back an uncommitted earlier rekey ceremony (VAULT/rekey/)\n";
    if (outcome.only_finished) {
        std::cout << "rekey of request " << id << " was committed earlier (audit record "
                  << outcome.commit_seq << "); finished it: " << outcome.rekeyed.size()
                  << " backups\n";
    } else {
        std::cout << "rekey of request " << id << " committed (audit record " << outcome.commit_seq
                  << ") and finished: " << outcome.rekeyed.size()
                  << " backups sealed to the new policy\n";
    }
    for (const rekey::RekeyedBackup& b : outcome.rekeyed)
        std::cout << "  " << b.old_backup << " -> " << b.new_backup << "\n";
    for (const std::string& b : outcome.skipped)
        std::cout << "  skipped " << b << ": no longer verified (pruned since the request)\n";
    for (const std::string& b : outcome.left_uncovered) {
        std::cout << "  left " << b
                  << " sealed as it was (not covered; --leave-uncovered): a second ceremony or a "
                     "prune moves it\n";
    }
    print_after_rekey(options.vault, outcome.old_policy, outcome.new_policy);
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_rekey_apply_command(CLI::App& rekey, Command& selected) {
    auto options = std::make_shared<RekeyApplyOptions>();
    CLI::App* command = rekey.add_subcommand(
        "apply", "Step 3: move every covered backup to the new policy with the approvals");
    command->add_option("request", options->request, "The rekey request file (RKREQ)")->required();
    command->add_option("--vault", options->vault, "Vault directory")->required();
    command->add_option("--approval", options->approvals,
                        "A rekey approval of an old custodian; repeat (at least K per backup)");
    command->add_option("--key", options->key, "The request's key file (default: RKREQ.key)");
    command->add_option("--signing-key", options->signing_key,
                        "Signing key of a signer of the new policy (default: this host's key)");
    command->add_option("--state-dir", options->state_dir,
                        "State root: this host's signing key and latest-seen audit head (default "
                        "~/.local/state/ssoescrow)");
    command->add_flag("--leave-uncovered", options->leave_uncovered,
                      "Leave verified backups the request does not cover (sealed after it) "
                      "sealed to the old policy instead of refusing");
    command->add_option("--wait", options->wait_seconds,
                        "Seconds to wait for another writer's lock (default 0: fail at once)");
    command->footer(
        "Checks every approval (bound to this request, its vault and the old custodians) and\n"
        "that the request is current (not expired, its old policy still the vault's, its nonce\n"
        "never used), takes the writer lock, re-seals every covered backup to the new policy\n"
        "(fresh backup ids, signed by the signing key), writes them to VAULT/rekey/, commits with\n"
        "one policy-change record, then replaces the config, records each new backup and prunes\n"
        "the old one. Interrupted before the commit, the next writer rolls it back; after it,\n"
        "run this again or 'rekey finish'.\n"
        "Exit status: 0 rekeyed; 2 usage; 3 bad input; 4 a bad or foreign approval, too few\n"
        "approvals, wrong key; 5 I/O; 6 expired, stale or replayed request, uncovered backups,\n"
        "signing key not in the new policy; 7 locked; 8 damaged vault, another committed rekey.");
    command->callback(
        [options, &selected] { selected.run = [options] { return run_rekey_apply(*options); }; });
}

}  // namespace ssoescrow::cli
