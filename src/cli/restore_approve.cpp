// `ssoescrow restore approve REQ --identity A.key [--passphrase-file F | --passphrase-fd N]
//  --out APPROVAL [--yes] [--vault DIR]`: step 2 of a restore, run by each custodian, offline.
// Shows what is being approved, asks for confirmation on the terminal, opens the custodian's own
// stanza, checks the share against its commitment and re-wraps it to the request's one-time key.
// The approval holds no plaintext share.
#include <iostream>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "crypto/exchanged_text.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/confirm_approval.hpp"
#include "src/cli/identity_options.hpp"
#include "src/cli/restore_commands.hpp"
#include "src/identity_file.hpp"
#include "src/restore/request.hpp"
#include "src/terminal.hpp"
#include "vault/catalog.hpp"
#include "vault/policy.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct ApproveOptions {
    std::string request;
    std::string identity;
    PassphraseSource passphrase;
    std::string out;
    bool yes = false;
    std::string vault;
    std::string expect_policy;
    bool json = false;
};

bool exists_no_follow(const std::string& file) {
    return platform::exists_no_follow(platform::path_from_utf8(file));
}

// What an approval for each purpose lets the requester do (restore apply enforces it).
std::string_view purpose_meaning(restore::Purpose purpose) {
    switch (purpose) {
        case restore::Purpose::restore:
            return "restore the master secret through the SSO bridge (or run a drill); no "
                   "extraction to files";
        case restore::Purpose::drill:
            return "a drill only: the backup is opened and checked, nothing is restored or "
                   "written out";
        case restore::Purpose::extract:
            return "BREAK-GLASS: write the .bak and its password to files (or restore, or "
                   "drill)";
    }
    return "";
}

std::string summary(const restore::RestoreRequest& request, const vault::Stanza& stanza,
                    const std::string& signer) {
    const vault::EnvelopeHeader& header = request.header;
    const vault::SourceInfo& source = header.source;
    std::ostringstream out;
    out << "restore request " << restore::request_id_hex(request.id) << "\n"
        << "  fingerprint:   " << restore::request_fingerprint(request)
        << "  (compare it with the requester by phone)\n"
        << "  purpose:       " << restore::purpose_name(request.purpose) << ": "
        << purpose_meaning(request.purpose) << "\n"
        << "  requester:     " << request.requester << "  (as the request claims)\n"
        << "  reason:        " << (request.reason.empty() ? "(none given)" : request.reason) << "\n"
        << "  created:       " << vault::format_time(request.created) << ", expires "
        << vault::format_time(request.expires) << "\n"
        << "  vault:         " << request.vault_id << "\n"
        << "  backup:        " << vault::backup_id_hex(request.backup_id) << " of "
        << vault::format_time(header.created) << "\n"
        << "  computer:      " << source.computer << ", secret server " << source.secret_server
        << "\n"
        << "  MSIDs:         current " << source.current_msid << ", previous "
        << (source.previous_msid.empty() ? std::string("none") : source.previous_msid) << "\n"
        << "  label:         " << (source.label.empty() ? "(none)" : source.label) << "\n"
        << "  sealed to:     " << header.threshold << " of " << header.stanzas.size()
        << " custodians\n"
        << "  your stanza:   " << stanza.describe() << "\n"
        << "  signed by:     " << signer << "\n"
        << "  policy:        " << header.policy_fingerprint
        << "  (compare it with the one you recorded at 'vault init')\n"
        << "Approving gives the holder of this request's one-time key your share of this backup;\n"
        << "with " << header.threshold << " approvals they can open it, for the purpose above\n"
        << "and until it expires. The approval binds every detail shown: if any is changed\n"
        << "afterwards, your approval no longer works.\n";
    return out.str();
}

Result<int> run_approve(const ApproveOptions& options) {
    if (options.out == options.request || options.out == options.identity)
        return make_error(Errc::usage, "--out must not name an input file");
    if (exists_no_follow(options.out)) {
        return make_error(Errc::already_exists, options.out + " already exists",
                          "choose another --out; approvals are never overwritten");
    }
    if (!options.expect_policy.empty())
        TRY(vault::check_policy_fingerprint(options.expect_policy));
    TRY_ASSIGN(const Bytes request_bytes,
               platform::read_file(platform::path_from_utf8(options.request),
                                   crypto::exchanged_file_read_limit(restore::k_max_request_size)));
    TRY_ASSIGN(const restore::RestoreRequest request,
               restore::parse_request(request_bytes, options.request));
    vault::Clock& clock = vault::system_clock();
    TRY(restore::check_request_current(request, clock.now()));

    // Which custodian this identity is, without the passphrase: a foreign identity is named
    // before any prompt.
    TRY_ASSIGN(const crypto::Recipient recipient, recipient_of_identity_file(options.identity));
    const std::string fingerprint = recipient.fingerprint();
    auto stanza = vault::find_stanza(request.header, fingerprint);
    if (!stanza) {
        return make_error(Errc::share_mismatch,
                          options.identity + " (custodian '" + recipient.label + "', " +
                              fingerprint + ") holds no stanza in backup " +
                              vault::backup_id_hex(request.backup_id) + " of request " +
                              restore::request_id_hex(request.id),
                          "this backup was sealed to other custodians; only they can approve");
    }
    // The header's signature, with the key it names: a forged or edited header stops here. Who
    // may sign is the policy's to say: compare the policy fingerprint (--expect-policy), and
    // with --vault the signer is checked against the vault's policy.
    if (auto signed_ok = vault::check_envelope_header_signature(request.header,
                                                                as_bytes(request.envelope_header));
        !signed_ok) {
        return make_error(Errc::auth_failed, "the backup's " + signed_ok.error().message,
                          "do not approve; ask the requester where the request came from");
    }
    if (!options.expect_policy.empty() &&
        options.expect_policy != request.header.policy_fingerprint) {
        return make_error(Errc::policy_mismatch,
                          "backup " + vault::backup_id_hex(request.backup_id) +
                              " is sealed under policy " + request.header.policy_fingerprint +
                              ", not the expected " + options.expect_policy,
                          "do not approve: the vault's policy was changed, or the backup was "
                          "planted; ask the vault administrator");
    }
    std::string signer = "signer " + request.header.signer_fingerprint +
                         " (check it with --vault, or with the vault administrator)";
    if (!options.vault.empty()) {
        // Optional cross-check against a vault the custodian can read: the header the request
        // shows must be the envelope's.
        TRY_ASSIGN(const vault::Vault opened,
                   vault::Vault::open(platform::path_from_utf8(options.vault)));
        const std::string refuse_hint =
            "do not approve; ask the requester where the request came from";
        if (opened.vault_id() != request.vault_id) {
            return make_error(Errc::share_mismatch,
                              "the request does not match vault " + options.vault +
                                  ": it is for vault " + request.vault_id + ", this is vault " +
                                  opened.vault_id(),
                              refuse_hint);
        }
        auto envelope = platform::read_file(
            opened.dir() / vault::Vault::envelope_relative_path(request.backup_id),
            vault::k_max_envelope_file_size);
        if (!envelope) {
            return make_error(Errc::share_mismatch,
                              "the request does not match vault " + options.vault +
                                  ": its backup " + vault::backup_id_hex(request.backup_id) +
                                  " cannot be read there: " + envelope.error().message,
                              refuse_hint);
        }
        const std::size_t compared = std::min(envelope->size(), request.envelope_header.size());
        if (crypto::sha256(ByteView(envelope->data(), compared)) != request.header_sha256) {
            return make_error(Errc::share_mismatch,
                              "the request does not match vault " + options.vault +
                                  ": the envelope header it shows is not the vault's",
                              refuse_hint);
        }
        TRY_ASSIGN(const vault::Catalog catalog, vault::build_catalog(opened));
        const vault::CatalogEntry* entry = catalog.find(vault::backup_id_hex(request.backup_id));
        if (entry == nullptr || !entry->usable()) {
            return make_error(
                Errc::share_mismatch,
                "backup " + vault::backup_id_hex(request.backup_id) + " is not verified in vault " +
                    options.vault + " (" +
                    (entry == nullptr ? std::string("not there")
                                      : vault::describe_signer(*entry) + ": " + entry->problem) +
                    ")",
                refuse_hint);
        }
        signer = vault::describe_signer(*entry) + ", a signer of the vault's policy";
    }
    const std::string text = summary(request, *stanza.value(), signer);
    TRY(confirm_approval(text, "Approve this restore request?", options.yes));

    TRY_ASSIGN(const crypto::Identity identity,
               load_identity(options.identity, options.passphrase));
    TRY_ASSIGN(const restore::Approval approval,
               restore::approve_request(request, identity, clock.now()));
    const std::string approval_text = restore::serialise_approval(approval);
    TRY(write_custodian_file(options.out, approval_text, [&](ByteView bytes) -> Status {
        auto parsed = restore::parse_approval(bytes, options.out);
        if (!parsed)
            return parsed.error();
        return {};
    }));
    if (options.json) {
        // README "Disaster-recovery restore": ssoescrow-restore-approval-result/1.
        nlohmann::ordered_json doc;
        doc["schema"] = "ssoescrow-restore-approval-result/1";
        doc["request"] = restore::request_id_hex(request.id);
        doc["file"] = options.out;
        doc["custodian"] = approval.custodian;
        doc["label"] = approval.label;
        doc["purpose"] = std::string(restore::purpose_name(request.purpose));
        doc["expires"] = vault::format_time(request.expires);
        std::cout << doc.dump(2) << "\n";
        std::cout.flush();
        if (!std::cout)
            return make_error(Errc::io, "cannot write to standard output");
        return 0;
    }
    std::cout << "approval of " << approval.describe() << " for request "
              << restore::request_id_hex(request.id) << " written to " << options.out << "\n"
              << "send it to the requester; it only opens with the request's one-time key and "
                 "expires "
              << vault::format_time(request.expires) << "\n";
    std::cout.flush();
    if (!std::cout)
        return make_error(Errc::io, "cannot write to standard output");
    return 0;
}

}  // namespace

void add_restore_approve_command(CLI::App& restore, Command& selected) {
    auto options = std::make_shared<ApproveOptions>();
    CLI::App* command = restore.add_subcommand(
        "approve", "Step 2 (custodian): approve a restore request with your identity, offline");
    command->add_option("request", options->request, "The request file (REQ)")->required();
    add_identity_options(*command, options->identity, options->passphrase);
    command->add_option("--out", options->out, "The approval file to write")->required();
    command->add_flag("--yes", options->yes,
                      "Approve without asking on the terminal (the details are still printed)");
    command->add_option("--vault", options->vault,
                        "Optional: check the request against this vault (or copy) first, and "
                        "that its backup is verified (signed by a signer of the vault's policy)");
    command->add_option("--expect-policy", options->expect_policy,
                        "Refuse unless the backup is sealed under this policy fingerprint "
                        "(sha256:..., the one you recorded at 'vault init')");
    command->add_flag("--json", options->json,
                      "Print one JSON document (schema ssoescrow-restore-approval-result/1) "
                      "instead of text");
    command->footer(
        "Shows the purpose (restore, drill or extract), the backup (time, computer, secret\n"
        "server, MSIDs), who signed it and its policy fingerprint, the requester, reason and\n"
        "expiry, and asks for 'yes' on the terminal unless --yes; the approval binds the whole\n"
        "request, so an edited request voids it. Refuses an expired request and\n"
        "an identity the backup was not sealed to. The approval is your share encrypted to the\n"
        "request's one-time key, bound to this request file, vault, backup and envelope header.\n"
        "Exit status: 0 written; 2 usage; 3 bad input; 4 wrong passphrase, damaged file or\n"
        "stanza, no stanza for this identity, a forged signature; 5 I/O; 6 expired, not\n"
        "approved, output exists; 11 the policy is not the expected one.");
    command->callback(
        [options, &selected] { selected.run = [options] { return run_approve(*options); }; });
}

}  // namespace ssoescrow::cli
