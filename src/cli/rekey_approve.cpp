// `ssoescrow rekey approve RKREQ --identity KEY [--vault DIR] --out APPROVAL [--yes]`: step 2 of a
// rekey, run by each custodian of the old policy, offline. Shows the old and the new policy
// (custodians, thresholds, signers; added and removed marked), both fingerprints, every covered
// backup, the requester, reason, expiry and the request fingerprint, asks for "yes" like
// `restore approve`, then re-wraps the custodian's share of every covered backup to the request's
// one-time key (src/rekey/ceremony.hpp). The approval holds no plaintext share.
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "crypto/hash.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/confirm_approval.hpp"
#include "src/cli/identity_options.hpp"
#include "src/cli/rekey_commands.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/identity_file.hpp"
#include "vault/catalog.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct RekeyApproveOptions {
    std::string request;
    std::string identity;
    PassphraseSource passphrase;
    std::string out;
    bool yes = false;
    std::string vault;
    std::string expect_policy;
};

// label by fingerprint: what a side of the ceremony knows of the custodians or signers.
using Members = std::map<std::string, std::string>;

struct OldSide {
    unsigned threshold = 0;
    Members custodians;
    Members signers;
    bool from_vault = false;
};

// Without the vault, the old policy is what the covered headers show: their stanzas and signers.
OldSide old_side_from_headers(const rekey::RekeyRequest& request) {
    OldSide side;
    for (const vault::EnvelopeHeader& header : request.headers) {
        side.threshold = header.threshold;
        for (const vault::Stanza& stanza : header.stanzas)
            side.custodians[stanza.recipient_fingerprint] = stanza.label;
        side.signers.emplace(header.signer_fingerprint, std::string());
    }
    return side;
}

OldSide old_side_from_policy(const vault::EscrowPolicy& policy) {
    OldSide side;
    side.from_vault = true;
    side.threshold = policy.threshold;
    for (const crypto::Recipient& r : policy.recipients)
        side.custodians[r.fingerprint()] = r.label;
    for (const crypto::Signer& s : policy.signers)
        side.signers[s.fingerprint()] = s.label;
    return side;
}

void list_members(std::ostringstream& out, const Members& old_members, const Members& new_members,
                  std::string_view kind) {
    for (const auto& [fpr, label] : old_members) {
        if (new_members.count(fpr) == 0)
            out << "    - " << kind << " '" << label << "' (" << fpr << ")  [REMOVED]\n";
    }
    for (const auto& [fpr, label] : new_members) {
        const bool added = old_members.count(fpr) == 0;
        out << "    " << (added ? '+' : ' ') << " " << kind << " '" << label << "' (" << fpr << ")"
            << (added ? "  [ADDED]" : "") << "\n";
    }
}

std::string summary(const rekey::RekeyRequest& request, const OldSide& old, const std::string& you,
                    const std::map<std::string, std::string>& signers) {
    const vault::EscrowPolicy& next = request.new_policy;
    Members new_custodians;
    Members new_signers;
    for (const crypto::Recipient& r : next.recipients)
        new_custodians[r.fingerprint()] = r.label;
    for (const crypto::Signer& s : next.signers)
        new_signers[s.fingerprint()] = s.label;
    std::ostringstream out;
    out << "rekey request " << restore::request_id_hex(request.id) << "\n"
        << "  fingerprint:   " << rekey::rekey_fingerprint(request)
        << "  (compare it with the requester by phone)\n"
        << "  requester:     " << request.requester << "  (as the request claims)\n"
        << "  reason:        " << (request.reason.empty() ? "(none given)" : request.reason) << "\n"
        << "  created:       " << vault::format_time(request.created) << ", expires "
        << vault::format_time(request.expires) << "\n"
        << "  vault:         " << request.vault_id << "\n"
        << "  old policy:    " << request.old_policy << "  (compare it with the one you recorded)\n"
        << "  new policy:    " << request.new_policy_fingerprint() << "\n"
        << "  threshold:     " << old.threshold << " of " << old.custodians.size() << " -> "
        << next.threshold << " of " << next.recipients.size() << "\n"
        << "  custodians" << (old.from_vault ? "" : " (old: as the covered backups show)") << ":\n";
    list_members(out, old.custodians, new_custodians, "custodian");
    out << "  signers" << (old.from_vault ? "" : " (old: those that signed the covered backups)")
        << ":\n";
    list_members(out, old.signers, new_signers, "signer");
    out << "  backups:       " << request.headers.size() << " covered\n";
    for (const vault::EnvelopeHeader& h : request.headers) {
        const std::string id = vault::backup_id_hex(h.backup_id);
        const auto signer = signers.find(id);
        out << "    " << id << " of " << vault::format_time(h.created) << ", computer "
            << h.source.computer << ", MSID " << h.source.current_msid << ", "
            << (signer != signers.end() ? signer->second : "signer " + h.signer_fingerprint)
            << (static_cast<bool>(vault::find_stanza(h, you)) ? "" : "  (you hold no share of it)")
            << "\n";
    }
    out << "Approving gives the holder of this request's one-time key your share of every\n"
        << "backup above; with " << old.threshold
        << " approvals they re-seal them to the new policy,\n"
        << "and the old custodians' shares no longer open the vault's backups. The approval\n"
        << "binds every detail shown: if any is changed afterwards, it no longer works.\n";
    return out.str();
}

// With --vault: the request must be for this vault and its current policy, and every covered
// backup verified there with the very header the request shows.
Result<std::map<std::string, std::string>> cross_check_vault(const rekey::RekeyRequest& request,
                                                             const std::string& vault_dir,
                                                             OldSide& old) {
    TRY_ASSIGN(const vault::Vault opened, vault::Vault::open(platform::path_from_utf8(vault_dir)));
    const std::string refuse_hint = "do not approve; ask the requester where the request came from";
    if (opened.vault_id() != request.vault_id) {
        return make_error(Errc::share_mismatch,
                          "the rekey request is for vault " + request.vault_id + ", " + vault_dir +
                              " is vault " + opened.vault_id(),
                          refuse_hint);
    }
    const std::string current = opened.config().escrow.fingerprint();
    if (current != request.old_policy) {
        return make_error(Errc::precondition,
                          "a stale rekey request: its old policy " + request.old_policy +
                              " is not the policy of vault " + vault_dir + " (" + current + ")",
                          "do not approve; the requester makes a new request");
    }
    old = old_side_from_policy(opened.config().escrow);
    TRY_ASSIGN(const vault::Catalog catalog, vault::build_catalog(opened));
    std::map<std::string, std::string> signers;
    for (std::size_t i = 0; i < request.headers.size(); ++i) {
        const std::string id = vault::backup_id_hex(request.headers[i].backup_id);
        const vault::CatalogEntry* entry = catalog.find(id);
        if (entry == nullptr || !entry->usable()) {
            return make_error(
                Errc::share_mismatch,
                "backup " + id + " of the rekey request is not verified in vault " + vault_dir +
                    " (" + (entry == nullptr ? std::string("not there") : entry->problem) + ")",
                refuse_hint);
        }
        TRY_ASSIGN(const Bytes envelope, platform::read_file(opened.dir() / entry->path,
                                                             vault::k_max_envelope_file_size));
        const std::string& shown = request.envelope_headers[i];
        if (envelope.size() < shown.size() ||
            std::string_view(reinterpret_cast<const char*>(envelope.data()), shown.size()) !=
                shown) {
            return make_error(Errc::share_mismatch,
                              "the rekey request shows another header for backup " + id +
                                  " than vault " + vault_dir + " holds",
                              refuse_hint);
        }
        signers[id] = vault::describe_signer(*entry);
    }
    return signers;
}

Result<int> run_rekey_approve(const RekeyApproveOptions& options) {
    if (options.out == options.request || options.out == options.identity)
        return make_error(Errc::usage, "--out must not name an input file");
    if (platform::exists_no_follow(platform::path_from_utf8(options.out))) {
        return make_error(Errc::already_exists, options.out + " already exists",
                          "choose another --out; approvals are never overwritten");
    }
    if (!options.expect_policy.empty())
        TRY(vault::check_policy_fingerprint(options.expect_policy));
    TRY_ASSIGN(const rekey::RekeyRequest request, read_rekey_request(options.request));
    vault::Clock& clock = vault::system_clock();
    TRY(rekey::check_rekey_request_current(request, clock.now()));
    if (!options.expect_policy.empty() && options.expect_policy != request.old_policy) {
        return make_error(Errc::policy_mismatch,
                          "the rekey request moves backups of policy " + request.old_policy +
                              ", not of the expected " + options.expect_policy,
                          "do not approve: ask the vault administrator");
    }
    // Every covered header's signature, with the key it names: a forged or edited header stops
    // here (who may sign is the old policy's to say: --vault checks it).
    for (std::size_t i = 0; i < request.headers.size(); ++i) {
        if (auto ok = vault::check_envelope_header_signature(request.headers[i],
                                                             as_bytes(request.envelope_headers[i]));
            !ok) {
            return make_error(Errc::auth_failed, "a covered backup's " + ok.error().message,
                              "do not approve; ask the requester where the request came from");
        }
    }
    // Which custodian this identity is, before any passphrase prompt.
    TRY_ASSIGN(const crypto::Recipient recipient, recipient_of_identity_file(options.identity));
    const std::string you = recipient.fingerprint();
    bool holds_share = false;
    for (const vault::EnvelopeHeader& h : request.headers)
        holds_share = holds_share || static_cast<bool>(vault::find_stanza(h, you));
    if (!holds_share) {
        return make_error(Errc::share_mismatch,
                          options.identity + " (custodian '" + recipient.label + "', " + you +
                              ") holds no share of any backup of rekey request " +
                              restore::request_id_hex(request.id),
                          "only custodians of the old policy approve a rekey");
    }
    OldSide old = old_side_from_headers(request);
    std::map<std::string, std::string> signers;
    if (!options.vault.empty()) {
        TRY_ASSIGN(signers, cross_check_vault(request, options.vault, old));
    }
    const std::string text = summary(request, old, you, signers);
    TRY(confirm_approval(text, "Approve this rekey request?", options.yes));

    TRY_ASSIGN(const crypto::Identity identity,
               load_identity(options.identity, options.passphrase));
    TRY_ASSIGN(const rekey::RekeyApproval approval,
               rekey::approve_rekey(request, identity, clock.now()));
    const std::string approval_text = rekey::serialise_rekey_approval(approval);
    TRY(write_custodian_file(options.out, approval_text, [&](ByteView bytes) -> Status {
        auto parsed = rekey::parse_rekey_approval(bytes, options.out);
        if (!parsed)
            return parsed.error();
        return {};
    }));
    std::cout << "rekey approval of " << approval.describe() << " for request "
              << restore::request_id_hex(request.id) << " (" << approval.shares.size()
              << (approval.shares.size() == 1 ? " backup" : " backups") << ") written to "
              << options.out << "\n"
              << "send it to the requester; it only opens with the request's one-time key and "
                 "expires "
              << vault::format_time(request.expires) << "\n";
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_rekey_approve_command(CLI::App& rekey, Command& selected) {
    auto options = std::make_shared<RekeyApproveOptions>();
    CLI::App* command = rekey.add_subcommand(
        "approve", "Step 2 (old custodian): approve a rekey request with your identity, offline");
    command->add_option("request", options->request, "The rekey request file (RKREQ)")->required();
    add_identity_options(*command, options->identity, options->passphrase);
    command->add_option("--out", options->out, "The approval file to write")->required();
    command->add_flag("--yes", options->yes,
                      "Approve without asking on the terminal (the details are still printed)");
    command->add_option("--vault", options->vault,
                        "Optional: check the request against this vault (or copy): its policy is "
                        "the request's old policy and every covered backup is verified there");
    command->add_option("--expect-policy", options->expect_policy,
                        "Refuse unless the request's old policy is this fingerprint (sha256:...)");
    command->footer(
        "Shows the old and the new custodians, thresholds and signers (added and removed\n"
        "marked), both policy fingerprints, every covered backup, the requester, reason, expiry\n"
        "and the request fingerprint, and asks for 'yes' on the terminal unless --yes. The\n"
        "approval is your share of every covered backup encrypted to the request's one-time key,\n"
        "bound to this request file; it never serves a restore.\n"
        "Exit status: 0 written; 2 usage; 3 bad input; 4 wrong passphrase, damaged stanza, no\n"
        "share for this identity, a forged signature, a request that does not match --vault;\n"
        "5 I/O; 6 expired, stale (--vault), not approved, output exists; 11 not the expected\n"
        "policy.");
    command->callback(
        [options, &selected] { selected.run = [options] { return run_rekey_approve(*options); }; });
}

}  // namespace ssoescrow::cli
