// `ssoescrow vault list --vault DIR [--json]`: every backup with id, time, MSIDs, label, path and
// state. Read-only: takes no lock and writes nothing (works on a read-only copy, F6/F7).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "platform/path_text.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/json_output.hpp"
#include "src/terminal.hpp"
#include "vault/catalog.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct VaultListOptions {
    std::string vault;
    bool json = false;
};

// Keys in the documented order (README "Vaults"), only ever added.
nlohmann::ordered_json entry_json(const vault::CatalogEntry& e) {
    nlohmann::ordered_json j;
    j["id"] = e.backup_id;
    j["created"] = vault::format_time(e.created);
    j["state"] = std::string(vault::backup_state_name(e.state));
    j["computer"] = e.computer;
    j["secret_server"] = e.secret_server;
    j["current_msid"] = msid_or_null(e.current_msid);
    j["previous_msid"] = msid_or_null(e.previous_msid);
    j["label"] = e.label;
    j["path"] = e.path;
    j["sha256"] = e.envelope_hash;
    j["policy"] = e.policy_fingerprint;
    j["threshold"] = e.threshold;
    j["custodians"] = e.custodians;
    j["recorded_as"] = e.recorded_as;
    j["signer"] =
        e.signer.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.signer);
    j["signer_label"] = e.signer_label;
    j["problem"] = e.problem;
    j["rekeyed_from"] = e.rekeyed_from;
    return j;
}

Result<int> run_vault_list(const VaultListOptions& options) {
    TRY_ASSIGN(const vault::Vault opened,
               vault::Vault::open(platform::path_from_utf8(options.vault)));
    TRY_ASSIGN(const vault::Catalog catalog, vault::build_catalog(opened));
    std::size_t not_verified = 0;
    for (const vault::CatalogEntry& e : catalog.entries) {
        if (!e.usable())
            ++not_verified;
    }
    if (options.json) {
        nlohmann::ordered_json doc;
        doc["schema"] = "ssoescrow-vault-list/1";
        doc["vault"] = platform::path_to_utf8(opened.dir());
        doc["vault_id"] = opened.vault_id();
        doc["policy"] = opened.config().escrow.fingerprint();
        doc["backups"] = nlohmann::ordered_json::array();
        for (const vault::CatalogEntry& e : catalog.entries)
            doc["backups"].push_back(entry_json(e));
        std::cout << doc.dump(2) << "\n";
    } else if (catalog.entries.empty()) {
        std::cout << "no backups in " << platform::path_to_utf8(opened.dir()) << "\n";
    } else {
        for (const vault::CatalogEntry& e : catalog.entries) {
            std::cout << e.backup_id << "  " << vault::format_time(e.created) << "  "
                      << vault::backup_state_name(e.state) << "\n"
                      << "    msid " << (e.current_msid.empty() ? "-" : e.current_msid)
                      << " (previous " << (e.previous_msid.empty() ? "-" : e.previous_msid)
                      << ")  computer " << (e.computer.empty() ? "-" : e.computer) << "  label "
                      << (e.label.empty() ? "-" : e.label) << "\n"
                      << "    " << e.path << "  " << vault::describe_signer(e) << "\n";
            if (!e.problem.empty())
                std::cout << "    " << e.problem << "\n";
        }
    }
    TRY(flush_stdout());
    if (not_verified > 0 || !catalog.chain.intact()) {
        print_warning(std::to_string(not_verified) + " of " +
                      std::to_string(catalog.entries.size()) + " backups are not verified" +
                      (catalog.chain.intact() ? "" : " and the audit log is damaged") +
                      "; run 'ssoescrow vault check --vault " +
                      platform::path_to_utf8(opened.dir()) + "'");
    }
    return 0;
}

}  // namespace

void add_vault_list_command(CLI::App& vault, Command& selected) {
    auto options = std::make_shared<VaultListOptions>();
    CLI::App* list =
        vault.add_subcommand("list", "List every backup: id, time, MSIDs, label, path and state");
    list->add_option("--vault", options->vault, "Vault directory")->required();
    list->add_flag("--json", options->json, "Print one JSON document instead of text");
    list->footer(
        "Read-only: takes no lock and writes nothing. States: verified, orphan, pruned,\n"
        "missing, damaged (see 'vault check').\n"
        "Exit status: 0 listed (even if some backups are not verified: a warning says so);\n"
        "3 the config is malformed or of an unsupported version; 5 no vault / I/O error;\n"
        "8 the config is damaged.");
    list->callback([&selected, options] {
        selected.convention = ExitConvention::standard;
        selected.run = [options]() { return run_vault_list(*options); };
    });
}

}  // namespace ssoescrow::cli
