// `ssoescrow rekey prove RKREQ --vault DIR --identity KEY --out PROOF`: run by each new custodian
// while a ceremony prepared with `rekey apply --verify-custodians` awaits proof. Opens the
// custodian's stanza of every pending envelope in VAULT/rekey/ (a copy of the vault will do),
// checks each share against its commitment and re-wraps it to the request's one-time key, so that
// the operator can combine K2 proofs and open every pending envelope before the commit
// (FORMAT.md 4.10). The proof holds no plaintext share and never serves as an approval.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "crypto/hash.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/confirm_approval.hpp"
#include "src/cli/identity_options.hpp"
#include "src/cli/rekey_commands.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/identity_file.hpp"
#include "src/rekey/apply.hpp"
#include "vault/clock.hpp"
#include "vault/rekey_pending.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct RekeyProveOptions {
    std::string request;
    std::string vault;
    std::string identity;
    PassphraseSource passphrase;
    std::string out;
};

// The pending envelopes of this request's ceremony, as the manifest names them; each is sealed
// to the request's new policy and signed by one of its signers.
Result<std::vector<Bytes>> pending_envelopes(const rekey::RekeyRequest& request,
                                             const std::string& vault_text) {
    const std::filesystem::path dir = platform::path_from_utf8(vault_text);
    TRY_ASSIGN(const vault::Vault opened, vault::Vault::open(dir));
    TRY_ASSIGN(const vault::AuditChain chain, vault::read_audit_chain(dir, opened.vault_id()));
    TRY_ASSIGN(const vault::PendingRekey pending, vault::read_pending_rekey(dir, chain));
    const std::string id = restore::request_id_hex(request.id);
    if (pending.state != vault::PendingRekeyState::awaiting_proof ||
        pending.manifest->request != id) {
        return make_error(Errc::precondition,
                          "no rekey of request " + id + " awaits proof in " + vault_text,
                          "ask the operator for a current copy of the vault; the ceremony is "
                          "prepared by 'ssoescrow rekey apply ... --verify-custodians'");
    }
    return rekey::read_pending_envelopes(dir, request, pending.manifest->backups);
}

Result<int> run_rekey_prove(const RekeyProveOptions& options) {
    vault::Clock& clock = vault::system_clock();
    TRY_ASSIGN(const rekey::RekeyRequest request, read_rekey_request(options.request));
    TRY(rekey::check_rekey_request_current(request, clock.now()));
    TRY_ASSIGN(const std::vector<Bytes> envelopes, pending_envelopes(request, options.vault));
    TRY_ASSIGN(const rekey::PendingHeaders pending, rekey::pending_headers(envelopes));
    // Which custodian this identity is, before any passphrase prompt.
    TRY_ASSIGN(const crypto::Recipient recipient, recipient_of_identity_file(options.identity));
    const auto& custodians = request.new_policy.recipients;
    if (std::none_of(custodians.begin(), custodians.end(), [&](const crypto::Recipient& r) {
            return r.fingerprint() == recipient.fingerprint();
        })) {
        return make_error(Errc::share_mismatch,
                          options.identity + " (custodian '" + recipient.label + "', " +
                              recipient.fingerprint() + ") is not a custodian of the new policy " +
                              request.new_policy_fingerprint(),
                          "only custodians of the new policy prove a rekey");
    }
    TRY_ASSIGN(const crypto::Identity identity,
               load_identity(options.identity, options.passphrase));
    TRY_ASSIGN(const rekey::RekeyApproval proof,
               rekey::prove_rekey(request, pending, identity, clock.now()));
    const std::string text = rekey::serialise_rekey_proof(proof);
    TRY(write_custodian_file(options.out, text, [&](ByteView bytes) -> Status {
        auto parsed = rekey::parse_rekey_proof(bytes, options.out);
        if (!parsed)
            return parsed.error();
        return {};
    }));
    std::cout << "you (" << proof.describe() << ") can open your share of all "
              << proof.shares.size() << " pending "
              << (proof.shares.size() == 1 ? "envelope" : "envelopes") << " of rekey request "
              << restore::request_id_hex(request.id) << " (request fingerprint "
              << rekey::rekey_fingerprint(request) << ", new policy "
              << request.new_policy_fingerprint() << ")\n"
              << "proof written to " << options.out
              << ": send it to the operator; it only opens with the request's one-time key and "
                 "expires "
              << vault::format_time(request.expires) << "\n";
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_rekey_prove_command(CLI::App& rekey, Command& selected) {
    auto options = std::make_shared<RekeyProveOptions>();
    CLI::App* command = rekey.add_subcommand(
        "prove", "New custodian: prove you can open your share of the pending envelopes");
    command->add_option("request", options->request, "The rekey request file (RKREQ)")->required();
    command->add_option("--vault", options->vault, "The vault (or a copy) whose rekey awaits proof")
        ->required();
    add_identity_options(*command, options->identity, options->passphrase);
    command->add_option("--out", options->out, "The proof file to write")->required();
    command->footer(
        "For a ceremony prepared with 'rekey apply --verify-custodians': opens your stanza of\n"
        "every pending envelope in VAULT/rekey/ (each checked against the ceremony's manifest,\n"
        "the new policy and its signers), checks your share against its commitment and writes it\n"
        "encrypted to the request's one-time key. Nothing in the vault is changed.\n"
        "Exit status: 0 written; 2 usage; 3 bad input; 4 wrong passphrase, damaged stanza, not a\n"
        "custodian of the new policy, a forged envelope; 5 I/O; 6 expired request, no ceremony\n"
        "awaiting proof, output exists; 8 damaged pending state.");
    command->callback(
        [options, &selected] { selected.run = [options] { return run_rekey_prove(*options); }; });
}

}  // namespace ssoescrow::cli
