// `ssoescrow topology check --inventory FILE [--vault DIR] [--format text|json]`: checks an
// inventory written by scripts/windows/collect-topology.ps1 against the high-availability rules
// (src/topology/rules.hpp) and prints the report on stdout. With --vault, one more rule
// (src/topology/vault_rule.hpp): every possible owner node of the SSO group holds the vault's
// current master secret. Monitoring convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the
// inventory or the vault could not be read or is invalid).
#include <iostream>
#include <memory>
#include <string>

#include "platform/path_text.hpp"
#include "src/cli/command.hpp"
#include "src/freshness/status_checks.hpp"
#include "src/topology/inventory.hpp"
#include "src/topology/report_format.hpp"
#include "src/topology/rules.hpp"
#include "src/topology/vault_rule.hpp"
#include "vault/catalog.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct TopologyCheckOptions {
    std::string inventory;
    std::string vault;
    std::string format = "text";
};

// The vault's current master secret (its newest verified backup with a known MSID) and every
// machine known to hold an MSID, read-only.
Result<topology::VaultSecret> read_vault_secret(const std::string& dir) {
    TRY_ASSIGN(const vault::Vault opened, vault::Vault::open(platform::path_from_utf8(dir)));
    TRY_ASSIGN(const vault::Catalog catalog, vault::build_catalog(opened));
    if (!catalog.chain.intact()) {
        return make_error(Errc::vault_damaged,
                          "vault " + dir +
                              ": the audit log is damaged, so its restore receipts "
                              "cannot be trusted",
                          "run 'ssoescrow vault check --vault " + dir + "' for the details");
    }
    topology::VaultSecret secret;
    secret.vault = dir;
    const vault::CatalogEntry* newest = nullptr;
    for (const vault::CatalogEntry& e : catalog.entries) {
        if (e.usable() && freshness::msid_known(e.current_msid) &&
            (newest == nullptr || e.created >= newest->created))
            newest = &e;
    }
    if (newest != nullptr) {
        secret.msid = newest->current_msid;
        secret.backup_id = newest->backup_id;
        secret.backup_created = vault::format_time(newest->created);
    }
    secret.receipts = freshness::node_receipts(catalog.chain.records);
    return secret;
}

Result<int> run_topology_check(const TopologyCheckOptions& options) {
    TRY_ASSIGN(const topology::Inventory inventory, topology::load_inventory(options.inventory));
    topology::Report report = topology::check_topology(inventory);
    if (!options.vault.empty()) {
        TRY_ASSIGN(const topology::VaultSecret secret, read_vault_secret(options.vault));
        report.results.push_back(topology::rule_nodes_hold_secret(inventory, secret));
    }
    if (options.format == "json") {
        std::cout << topology::format_report_json(inventory, report);
    } else {
        std::cout << topology::format_report_text(inventory, report);
    }
    std::cout.flush();
    if (!std::cout)
        return make_error(Errc::io, "cannot write the report to standard output");
    return report.exit_code();
}

}  // namespace

void add_topology_commands(CLI::App& app, Command& selected) {
    CLI::App* topology =
        app.add_subcommand("topology", "Check the cluster and BizTalk topology for HA problems");
    topology->require_subcommand(1);

    auto options = std::make_shared<TopologyCheckOptions>();
    CLI::App* check = topology->add_subcommand(
        "check",
        "Check an inventory from collect-topology.ps1 against the SSO clustering rule "
        "and the high-availability checklist");
    check
        ->add_option("--inventory", options->inventory,
                     "Inventory JSON (schema ssoescrow-topology/1) written by "
                     "scripts/windows/collect-topology.ps1")
        ->required();
    check->add_option("--vault", options->vault,
                      "Also check that every possible owner node of the SSO group holds the "
                      "vault's current master secret (a restore receipt or a backup taken there)");
    CLI::Option* format =
        check->add_option("--format", options->format, "Output format: text (default) or json")
            ->check(CLI::IsMember({"text", "json"}));
    // The machine-output flag every command has (README "Using the command line").
    check
        ->add_flag_callback(
            "--json", [options] { options->format = "json"; }, "Same as --format json")
        ->excludes(format);
    check->footer(
        "Exit status (monitoring convention):\n"
        "  0  OK        every rule passed or did not apply\n"
        "  1  WARNING   at least one warning, no critical finding\n"
        "  2  CRITICAL  at least one critical finding (an unsupported configuration)\n"
        "  3  UNKNOWN   the inventory or the vault could not be read or is invalid");
    check->callback([&selected, options] {
        selected.convention = ExitConvention::monitoring;
        selected.run = [options]() { return run_topology_check(*options); };
    });
}

}  // namespace ssoescrow::cli
