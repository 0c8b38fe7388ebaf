// `ssoescrow rekey request --vault DIR [--threshold K2] [--add NEW.pub ...] [--remove FPR|NAME.pub
//  ...] [--add-signer S.pub ...] [--remove-signer FPR ...] --out RKREQ`: step 1 of a rekey. The
// new policy is the vault's policy with these changes; the request covers every verified backup
// sealed to the current policy. Writes RKREQ (public: send it to the old custodians) and RKREQ.key
// (its one-time X25519 secret: keep it), both 0600. Read-only on the vault.
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/rekey_commands.hpp"
#include "src/cli/request_files.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/signing_key.hpp"
#include "vault/catalog.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct RekeyRequestOptions {
    std::string vault;
    std::optional<unsigned> threshold;
    std::vector<std::string> add;
    std::vector<std::string> remove;
    std::vector<std::string> add_signer;
    std::vector<std::string> remove_signer;
    bool allow_single_custodian = false;
    std::string out;
    std::string key;
    std::string reason;
    std::string expires = "7d";
    std::string signing_key;
    std::string state_dir;
};

// --remove takes a fingerprint or a NAME.pub.
Result<std::string> removed_fingerprint(const std::string& given) {
    if (vault::is_fingerprint_text(given))
        return given;
    TRY_ASSIGN(const crypto::Recipient recipient, read_recipient_file(given));
    return recipient.fingerprint();
}

Result<vault::EscrowPolicy> new_policy_of(const vault::EscrowPolicy& old,
                                          const RekeyRequestOptions& options) {
    vault::EscrowPolicy next = old;
    for (const std::string& given : options.remove) {
        TRY_ASSIGN(const std::string fpr, removed_fingerprint(given));
        const auto before = next.recipients.size();
        std::erase_if(next.recipients,
                      [&](const crypto::Recipient& r) { return r.fingerprint() == fpr; });
        if (next.recipients.size() == before) {
            return make_error(
                Errc::usage,
                "--remove " + given + ": " + fpr + " is not a custodian of the vault's policy",
                "'ssoescrow vault list --vault " + options.vault + "' shows the custodians");
        }
    }
    for (const std::string& file : options.add) {
        TRY_ASSIGN(crypto::Recipient recipient, read_recipient_file(file));
        next.recipients.push_back(std::move(recipient));
    }
    for (const std::string& fpr : options.remove_signer) {
        const auto before = next.signers.size();
        std::erase_if(next.signers,
                      [&](const crypto::Signer& s) { return s.fingerprint() == fpr; });
        if (next.signers.size() == before) {
            return make_error(Errc::usage,
                              "--remove-signer " + fpr + " is not a signer of the vault's policy");
        }
    }
    for (const std::string& file : options.add_signer) {
        TRY_ASSIGN(crypto::Signer signer, read_signer_line_file(file));
        next.signers.push_back(std::move(signer));
    }
    if (options.threshold)
        next.threshold = *options.threshold;
    if (options.allow_single_custodian)
        next.allow_single_custodian = true;
    auto normalised = next.normalised();
    if (!normalised) {
        Error error = std::move(normalised).error();
        if (error.code == Errc::invalid_argument)
            error.code = Errc::usage;
        error.message = "the new policy: " + error.message;
        return error;
    }
    if (normalised->fingerprint() == old.fingerprint()) {
        return make_error(Errc::usage, "the new policy is the vault's policy: nothing to rekey",
                          "say what changes with --threshold, --add, --remove, --add-signer or "
                          "--remove-signer");
    }
    return std::move(normalised).value();
}

std::string marked(bool changed, std::string_view mark) {
    return changed ? "  [" + std::string(mark) + "]" : std::string();
}

void print_policy_diff(const vault::EscrowPolicy& old, const vault::EscrowPolicy& next) {
    std::set<std::string> old_fprs;
    std::set<std::string> new_fprs;
    for (const crypto::Recipient& r : old.recipients)
        old_fprs.insert(r.fingerprint());
    for (const crypto::Recipient& r : next.recipients)
        new_fprs.insert(r.fingerprint());
    std::cout << "  custodians:  " << old.threshold << " of " << old.recipients.size() << " -> "
              << next.threshold << " of " << next.recipients.size() << "\n";
    for (const crypto::Recipient& r : old.recipients) {
        if (new_fprs.count(r.fingerprint()) == 0)
            std::cout << "    - '" << r.label << "' (" << r.fingerprint() << ")  [removed]\n";
    }
    for (const crypto::Recipient& r : next.recipients) {
        std::cout << "    " << (old_fprs.count(r.fingerprint()) ? ' ' : '+') << " '" << r.label
                  << "' (" << r.fingerprint() << ")"
                  << marked(!old_fprs.count(r.fingerprint()), "added") << "\n";
    }
}

Result<int> run_rekey_request(const RekeyRequestOptions& options) {
    TRY_ASSIGN(const std::int64_t lifetime,
               vault::parse_duration_flag(options.expires, "--expires"));
    if (lifetime <= 0 || lifetime > 30 * vault::k_day)
        return make_error(Errc::usage, "--expires: give 1s to 30d");
    if (!options.reason.empty())
        TRY(vault::check_text(options.reason, "--reason"));
    TRY_ASSIGN(const RequestFiles files, request_files(options.out, options.key));
    TRY_ASSIGN(const vault::Vault opened,
               vault::Vault::open(platform::path_from_utf8(options.vault)));
    const vault::EscrowPolicy& old = opened.config().escrow;
    TRY_ASSIGN(const vault::EscrowPolicy next, new_policy_of(old, options));
    // The operator's key signs the new envelopes and their records at apply.
    TRY_ASSIGN(const crypto::SigningKey signer,
               signing_key_for(options.signing_key, options.state_dir));
    if (next.find_signer(signer.signer.fingerprint()) == nullptr) {
        return make_error(Errc::usage,
                          "the new policy does not list the signing key of this rekey (" +
                              signer.signer.describe() +
                              "), which signs the new envelopes and their records",
                          "keep it with the policy, add it with --add-signer, or give the key "
                          "that will run 'rekey apply' with --signing-key");
    }

    TRY_ASSIGN(const vault::Catalog catalog, vault::build_catalog(opened));
    std::vector<Bytes> envelopes;
    std::vector<std::string> older;
    const std::string current = old.fingerprint();
    for (const vault::CatalogEntry& e : catalog.entries) {
        if (!e.usable())
            continue;
        if (e.policy_fingerprint != current) {
            older.push_back(e.backup_id);
            continue;
        }
        TRY_ASSIGN(Bytes bytes,
                   platform::read_file(opened.dir() / e.path, vault::k_max_envelope_file_size));
        envelopes.push_back(std::move(bytes));
    }
    if (envelopes.empty()) {
        return make_error(Errc::precondition,
                          "vault " + options.vault +
                              " has no verified backup sealed to its policy: nothing to rekey",
                          "make a backup first, or check the vault ('ssoescrow vault check')");
    }
    vault::Clock& clock = vault::system_clock();
    TRY_ASSIGN(
        rekey::NewRekeyRequest made,
        rekey::create_rekey_request(envelopes, opened.vault_id(), current, next,
                                    vault::current_actor(), options.reason, clock.now(), lifetime));
    const rekey::RekeyRequest& request = made.request;
    const std::string text = rekey::serialise_rekey_request(request);
    const crypto::SecretBytes key =
        restore::serialise_request_key(request.id, request.ephemeral_key, made.secret_key);
    TRY(write_request_files(files, text, key));
    std::cout << "rekey request " << restore::request_id_hex(request.id) << " written to "
              << options.out << "\n"
              << "  fingerprint: " << rekey::rekey_fingerprint(request) << "\n"
              << "  old policy:  " << current << "\n"
              << "  new policy:  " << next.fingerprint() << "\n";
    print_policy_diff(old, next);
    std::cout << "  signers:     " << old.signers.size() << " -> " << next.signers.size() << "\n"
              << "  backups:     " << request.headers.size() << " covered\n"
              << "  expires:     " << vault::format_time(request.expires) << "\n"
              << "  key:         " << files.key
              << " (secret: keep it on this machine, never send it)\n";
    if (!older.empty()) {
        std::cout << "note: " << older.size()
                  << " verified backup(s) sealed to an earlier policy are not covered (only "
                     "backups of the current policy can be); 'rekey apply --leave-uncovered' "
                     "leaves them as they are, or prune them first\n";
    }
    std::cout << "next: send " << options.out << " to " << old.threshold
              << " or more custodians of the old policy; each runs 'ssoescrow rekey approve "
              << options.out << " --identity NAME.key --out NAME.rkapproval' and sends it back;\n"
              << "      tell them the fingerprint by phone; then run 'ssoescrow rekey apply "
              << options.out << " --vault " << options.vault << " --approval A --approval B ...'\n";
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_rekey_request_command(CLI::App& rekey, Command& selected) {
    auto options = std::make_shared<RekeyRequestOptions>();
    CLI::App* command = rekey.add_subcommand(
        "request", "Step 1: a rekey request for the old custodians, and its one-time key");
    command->add_option("--vault", options->vault, "Vault directory (a read-only copy is fine)")
        ->required();
    command->add_option("--threshold", options->threshold,
                        "The new threshold K2 (default: the current one)");
    command->add_option("--add", options->add, "A new custodian (NAME.pub); repeat for more");
    command->add_option("--remove", options->remove,
                        "A custodian to drop (fingerprint or NAME.pub); repeat for more");
    command->add_option("--add-signer", options->add_signer,
                        "A new signer (a signer line file, 'ssoescrow signer show'); repeat");
    command->add_option("--remove-signer", options->remove_signer,
                        "A signer to drop (its fingerprint); repeat for more");
    command->add_flag("--allow-single-custodian", options->allow_single_custodian,
                      "Allow a new threshold of 1 (one custodian alone opens every backup)");
    command->add_option("--out", options->out, "The request file to write (RKREQ)")->required();
    command->add_option("--key", options->key,
                        "Where to write the request's secret key (default: RKREQ.key, 0600)");
    command->add_option("--reason", options->reason,
                        "Why (shown to every custodian; e.g. who left)");
    command->add_option("--expires", options->expires,
                        "How long the request and its approvals are valid (default 7d, at most "
                        "30d)");
    command->add_option("--signing-key", options->signing_key,
                        "The signing key that will run 'rekey apply' (default: this host's key); "
                        "it must be a signer of the new policy");
    command->add_option("--state-dir", options->state_dir,
                        "State root holding this host's signing key (default "
                        "~/.local/state/ssoescrow)");
    command->footer(
        "The new policy is the vault's policy with the changes given. The request covers every\n"
        "verified backup sealed to the current policy and shows both policies to the\n"
        "custodians. Writes RKREQ (send it to the old custodians) and RKREQ.key (keep it here),\n"
        "both 0600, never overwritten. Exit status: 0 written; 2 usage (a bad change, an\n"
        "unchanged policy, the signing key not in the new policy); 3 bad input; 5 I/O;\n"
        "6 output exists or nothing to rekey.");
    command->callback(
        [options, &selected] { selected.run = [options] { return run_rekey_request(*options); }; });
}

}  // namespace ssoescrow::cli
