// `ssoescrow topology check --inventory FILE [--format text|json]`: checks an inventory written by
// scripts/windows/collect-topology.ps1 against the high-availability rules (src/topology/rules.hpp)
// and prints the report on stdout. Monitoring convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
// (the inventory could not be read or is invalid).
#include <iostream>
#include <memory>
#include <string>

#include "src/cli/command.hpp"
#include "src/topology/inventory.hpp"
#include "src/topology/report_format.hpp"
#include "src/topology/rules.hpp"

namespace ssoescrow::cli {

namespace {

struct TopologyCheckOptions {
    std::string inventory;
    std::string format = "text";
};

Result<int> run_topology_check(const TopologyCheckOptions& options) {
    TRY_ASSIGN(const topology::Inventory inventory, topology::load_inventory(options.inventory));
    const topology::Report report = topology::check_topology(inventory);
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
    check->add_option("--format", options->format, "Output format: text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));
    check->footer(
        "Exit status (monitoring convention):\n"
        "  0  OK        every rule passed or did not apply\n"
        "  1  WARNING   at least one warning, no critical finding\n"
        "  2  CRITICAL  at least one critical finding (an unsupported configuration)\n"
        "  3  UNKNOWN   the inventory could not be read or is invalid");
    check->callback([&selected, options] {
        selected.convention = ExitConvention::monitoring;
        selected.run = [options]() { return run_topology_check(*options); };
    });
}

}  // namespace ssoescrow::cli
