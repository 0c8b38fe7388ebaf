// `ssoescrow rekey apply RKREQ --vault DIR --approval A ... [--verify-custodians]
// [--signing-key FILE]` and `ssoescrow rekey apply RKREQ --vault DIR --proof P ...`: step 3 of a
// rekey, by the operator under the writer lock (src/rekey/apply.hpp, FORMAT.md 4.10). Every
// covered backup is opened with the old custodians' approvals and sealed again to the new policy;
// the old envelopes are pruned. With --verify-custodians the new envelopes wait in VAULT/rekey/
// until the new custodians' proofs open them (the --proof run). Prints how to re-pin backup hosts
// and monitoring, and what a rekey cannot do.
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
#include "vault/text_format.hpp"

namespace ssoescrow::cli {

namespace {

struct RekeyApplyOptions {
    std::string request;
    std::string vault;
    std::vector<std::string> approvals;
    std::vector<std::string> proofs;
    bool verify_custodians = false;
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

Result<std::vector<rekey::ApprovalFile>> read_share_files(const std::vector<std::string>& files) {
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

Status check_usage(const RekeyApplyOptions& options) {
    if (!options.proofs.empty() && (!options.approvals.empty() || options.verify_custodians)) {
        return make_error(Errc::usage,
                          "--proof commits a ceremony prepared earlier: give it without "
                          "--approval and --verify-custodians");
    }
    if (options.proofs.empty() && options.approvals.empty()) {
        return make_error(Errc::usage,
                          "give the old custodians' approvals with --approval FILE (or, for a "
                          "ceremony awaiting proof, the new custodians' proofs with --proof FILE)");
    }
    return {};
}

void print_awaiting_proof(const RekeyApplyOptions& options, const rekey::ApplyOutcome& outcome,
                          const std::string& id) {
    std::cout << "rekey of request " << id << " prepared: " << outcome.prepared
              << " backups sealed to the new policy " << outcome.new_policy << " wait in "
              << options.vault << "/rekey/\n"
              << "nothing is committed yet: every backup is still sealed to the old policy, and\n"
              << "  backup jobs go on as before\n"
              << "next, before " << vault::format_time(outcome.expires)
              << " (then the next writer rolls it back):\n"
              << "  each of at least K new custodians, with a copy of the vault and the request:\n"
              << "    ssoescrow rekey prove " << options.request << " --vault " << options.vault
              << " --identity NAME.key --out NAME.rkproof\n"
              << "  then the operator:\n"
              << "    ssoescrow rekey apply " << options.request << " --vault " << options.vault
              << " --proof NAME.rkproof ...\n"
              << "  backups sealed meanwhile are not covered: that run refuses them unless\n"
              << "  --leave-uncovered; to give up: 'ssoescrow rekey abandon --vault "
              << options.vault << "'\n";
}

Result<int> run_rekey_apply(const RekeyApplyOptions& options) {
    TRY(check_usage(options));
    TRY_ASSIGN(const rekey::RekeyRequest request, read_rekey_request(options.request));
    TRY_ASSIGN(
        const restore::RequestKey key,
        read_rekey_key(request, options.key.empty() ? options.request + ".key" : options.key));
    TRY_ASSIGN(const crypto::SigningKey signer,
               signing_key_for(options.signing_key, options.state_dir));
    rekey::ApplyOptions apply;
    apply.vault_dir = platform::path_from_utf8(options.vault);
    apply.signer = &signer;
    TRY_ASSIGN(apply.approvals, read_share_files(options.approvals));
    TRY_ASSIGN(apply.proofs, read_share_files(options.proofs));
    apply.verify_custodians = options.verify_custodians;
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
    if (outcome.awaiting_proof) {
        print_awaiting_proof(options, outcome, id);
        TRY(flush_stdout());
        return 0;
    }
    if (!outcome.proven_by.empty()) {
        std::cout << "proven: every pending envelope opened with the shares of";
        for (const std::string& custodian : outcome.proven_by)
            std::cout << " " << custodian;
        std::cout << "\n";
    }
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
    command->add_flag("--verify-custodians", options->verify_custodians,
                      "Commit only after the new custodians prove they can open their new "
                      "shares: stop with the new envelopes pending in VAULT/rekey/");
    command->add_option("--proof", options->proofs,
                        "A new custodian's rekey proof ('rekey prove'): commits the ceremony "
                        "prepared with --verify-custodians; repeat (at least K2)");
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
        "With --verify-custodians it stops before the commit: the new envelopes wait in\n"
        "VAULT/rekey/ (backup jobs go on meanwhile) until K2 new custodians have run 'rekey\n"
        "prove' and the --proof run has opened every one of them with their shares; then it\n"
        "commits and finishes as above.\n"
        "Exit status: 0 rekeyed (or prepared); 2 usage; 3 bad input; 4 a bad or foreign approval\n"
        "or proof, too few of them, wrong key; 5 I/O; 6 expired, stale or replayed request,\n"
        "uncovered backups, signing key not in the new policy, another ceremony awaiting proof;\n"
        "7 locked; 8 damaged vault, another committed rekey.");
    command->callback(
        [options, &selected] { selected.run = [options] { return run_rekey_apply(*options); }; });
}

}  // namespace ssoescrow::cli
