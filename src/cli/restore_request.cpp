// `ssoescrow restore request --vault DIR [--backup ID|latest] --out REQ [--key FILE]
//  [--reason TEXT] [--expires 24h]`: step 1 of a restore. Writes the request (public: send it to
// the custodians) and its one-time X25519 secret key (REQ.key, 0600: keep it, never send it).
// Read-only on the vault: works from a read-only copy.

#include <algorithm>
#include <cctype>
#include <iostream>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/request_files.hpp"
#include "src/cli/restore_commands.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/json_output.hpp"
#include "src/restore/backup_choice.hpp"
#include "src/restore/request.hpp"
#include "src/terminal.hpp"
#include "vault/catalog.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct RequestOptions {
    std::string vault;
    std::string backup = "latest";
    std::string out;
    std::string key;
    std::string reason;
    std::string expires = "24h";
    std::string purpose = "restore";
    bool json = false;
};

Result<const vault::CatalogEntry*> resolve_backup(const vault::Catalog& catalog,
                                                  const std::string& wanted,
                                                  const std::string& vault_dir) {
    if (wanted == "latest") {
        const vault::CatalogEntry* newest = catalog.newest_verified();
        if (newest == nullptr) {
            return make_error(Errc::not_found, "vault " + vault_dir + " has no verified backup",
                              "run 'ssoescrow vault list --vault " + vault_dir +
                                  "' and 'ssoescrow vault check' to see what is there");
        }
        return newest;
    }
    TRY_ASSIGN(const vault::CatalogEntry* entry, restore::find_backup(catalog, wanted, vault_dir));
    if (!entry->usable()) {
        return make_error(Errc::precondition,
                          "backup " + wanted + " is " +
                              std::string(vault::backup_state_name(entry->state)) +
                              (entry->problem.empty() ? std::string() : ": " + entry->problem),
                          "choose a verified backup ('ssoescrow vault list --vault " + vault_dir +
                              "'), or check the vault ('ssoescrow vault check')");
    }
    return entry;
}

Result<int> run_request(const RequestOptions& options) {
    TRY_ASSIGN(const std::int64_t lifetime,
               vault::parse_duration_flag(options.expires, "--expires"));
    if (lifetime <= 0 || lifetime > restore::k_max_request_lifetime)
        return make_error(Errc::usage, "--expires: give 1s to 30d");
    auto purpose = restore::parse_purpose(options.purpose);
    if (!purpose) {
        return make_error(Errc::usage, "--purpose: " + purpose.error().message,
                          purpose.error().hint);
    }
    if (!options.reason.empty())
        TRY(vault::check_text(options.reason, "--reason"));
    TRY_ASSIGN(const RequestFiles files, request_files(options.out, options.key));

    TRY_ASSIGN(const vault::Vault opened,
               vault::Vault::open(platform::path_from_utf8(options.vault)));
    TRY_ASSIGN(const vault::Catalog catalog, vault::build_catalog(opened));
    TRY_ASSIGN(const vault::CatalogEntry* entry,
               resolve_backup(catalog, options.backup, options.vault));
    TRY_ASSIGN(const Bytes envelope,
               platform::read_file(opened.dir() / entry->path, vault::k_max_envelope_file_size));
    vault::Clock& clock = vault::system_clock();
    TRY_ASSIGN(restore::NewRequest made,
               restore::create_request(envelope, opened.vault_id(), vault::current_actor(),
                                       options.reason, clock.now(), lifetime, purpose.value()));
    const std::string text = restore::serialise_request(made.request);
    const crypto::SecretBytes key = restore::serialise_request_key(
        made.request.id, made.request.ephemeral_key, made.secret_key);
    TRY(write_request_files(files, text, key));
    const restore::RestoreRequest& request = made.request;
    const vault::EnvelopeHeader& header = request.header;
    if (options.json) {
        // README "Disaster-recovery restore": ssoescrow-restore-request-result/1.
        nlohmann::ordered_json doc;
        doc["schema"] = "ssoescrow-restore-request-result/1";
        doc["request"] = restore::request_id_hex(request.id);
        doc["file"] = options.out;
        doc["key"] = files.key;
        doc["fingerprint"] = restore::request_fingerprint(request);
        doc["backup"] = vault::backup_id_hex(request.backup_id);
        doc["backup_created"] = vault::format_time(header.created);
        doc["computer"] = header.source.computer;
        doc["current_msid"] = msid_or_null(header.source.current_msid);
        doc["purpose"] = std::string(restore::purpose_name(request.purpose));
        doc["threshold"] = header.threshold;
        doc["custodians"] = header.stanzas.size();
        doc["policy"] = header.policy_fingerprint;
        doc["expires"] = vault::format_time(request.expires);
        std::cout << doc.dump(2) << "\n";
        TRY(flush_stdout());
        return 0;
    }
    std::cout << "restore request " << restore::request_id_hex(request.id) << " written to "
              << options.out << "\n"
              << "  fingerprint: " << restore::request_fingerprint(request) << "\n"
              << "  backup:      " << vault::backup_id_hex(request.backup_id) << " of "
              << vault::format_time(header.created) << ", computer " << header.source.computer
              << ", current MSID " << header.source.current_msid << "\n"
              << "  purpose:     " << restore::purpose_name(request.purpose) << "\n"
              << "  approvals:   " << header.threshold << " of " << header.stanzas.size()
              << " custodians\n"
              << "  signed by:   " << vault::describe_signer(*entry) << ", policy "
              << header.policy_fingerprint << "\n"
              << "  expires:     " << vault::format_time(request.expires) << "\n"
              << "  key:         " << files.key
              << " (secret: keep it on this machine, never send it)\n"
              << "next: send " << options.out << " to " << header.threshold
              << " custodians; each runs 'ssoescrow restore approve " << options.out
              << " --identity NAME.key --out NAME.approval' and sends the approval back;\n"
              << "      tell them the fingerprint by phone; then run 'ssoescrow restore apply "
              << options.out << " --vault " << options.vault << " --approval A --approval B ... "
              << (request.purpose == restore::Purpose::extract ? "--extract DIR"
                  : request.purpose == restore::Purpose::drill ? "--drill [--bridge CMD]"
                                                               : "--bridge CMD | --drill")
              << "'\n";
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_restore_request_command(CLI::App& restore, Command& selected) {
    auto options = std::make_shared<RequestOptions>();
    CLI::App* command = restore.add_subcommand(
        "request", "Step 1: a restore request for the custodians, and its one-time key");
    command->add_option("--vault", options->vault, "Vault directory (a read-only copy is fine)")
        ->required();
    command->add_option("--backup", options->backup,
                        "Backup id to restore (or a unique prefix of at least 4 hex digits), or "
                        "'latest' (default): the newest verified backup");
    command->add_option("--out", options->out, "The request file to write (REQ)")->required();
    command->add_option("--key", options->key,
                        "Where to write the request's secret key (default: REQ.key, mode 0600)");
    command->add_option("--reason", options->reason,
                        "Why the restore is needed (shown to every custodian)");
    command->add_option("--purpose", options->purpose,
                        "What the approvals may be used for: restore (default: a restore through "
                        "the bridge, or a drill), drill (a drill only) or extract (also the "
                        "break-glass extraction of the .bak and its password)");
    command->add_option("--expires", options->expires,
                        "How long the request and its approvals are valid (default 24h, at most "
                        "30d)");
    command->add_flag("--json", options->json,
                      "Print one JSON document (schema ssoescrow-restore-request-result/1) "
                      "instead of text");
    command->footer(
        "Writes REQ (no secret: send it to the custodians) and REQ.key (0600: the one-time key\n"
        "that opens their approvals; keep it on this machine, outside the vault). Existing files\n"
        "are never overwritten. Exit status: 0 written; 2 usage; 3 bad input; 5 I/O (vault\n"
        "missing, output directory); 6 output exists or backup not verified.");
    command->callback(
        [options, &selected] { selected.run = [options] { return run_request(*options); }; });
}

}  // namespace ssoescrow::cli
