// `ssoescrow vault check --vault DIR [--json]`: verifies everything that can be verified without
// keys (vault/check.hpp) and names every problem by file. Takes no lock and writes nothing into
// the vault. Monitoring exit convention: 0 clean, 1 warnings, 2 damaged, 3 could not check.
//
// Rollback detection: the newest audit record this machine has seen is kept outside the vault
// (--state-dir, default ~/.local/state/ssoescrow/<vault id>/latest-seen); the check compares the
// vault with it and, when the chain is intact, moves it forward (never backward).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "platform/path_text.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/exit_codes.hpp"
#include "src/terminal.hpp"
#include "vault/check.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct VaultCheckOptions {
    std::string vault;
    bool json = false;
    std::string state_dir;
    bool no_state = false;
};

nlohmann::ordered_json finding_json(const vault::Finding& f) {
    return {{"severity", std::string(vault::severity_name(f.severity))},
            {"code", f.code},
            {"file", f.file},
            {"message", f.message}};
}

// Info findings (a writer at work) are printed but leave the result clean.
std::string_view result_name(const vault::Findings& findings) {
    if (!vault::has_problem(findings))
        return "clean";
    return vault::has_damage(findings) ? "damaged" : "warnings";
}

int exit_for(const vault::Findings& findings) {
    if (!vault::has_problem(findings))
        return k_monitor_ok;
    return vault::has_damage(findings) ? k_monitor_critical : k_monitor_warning;
}

// A config that cannot be trusted is a damaged vault (2), not a failed check (3). `code` names
// the finding: config-damaged, or config-too-large (over its ceiling: never written by ssoescrow,
// and not read, so that a huge file cannot exhaust memory).
Result<int> report_unopenable(const VaultCheckOptions& options, std::string code,
                              const Error& error) {
    const vault::Finding finding{vault::Severity::damaged, std::move(code),
                                 std::string(vault::k_config_file), error.message};
    if (options.json) {
        nlohmann::ordered_json doc{
            {"schema", "ssoescrow-vault-check/1"},
            {"vault", options.vault},
            {"vault_id", nullptr},
            {"result", "damaged"},
            {"findings", nlohmann::ordered_json::array({finding_json(finding)})}};
        std::cout << doc.dump(2) << "\n";
    } else {
        std::cout << "damaged: " << finding.file << ": " << finding.code << ": " << finding.message
                  << "\n"
                  << "vault " << options.vault << ": damaged (the config cannot be read)\n";
    }
    TRY(flush_stdout());
    if (!error.hint.empty())
        print_info("hint: " + error.hint);
    return k_monitor_critical;
}

Result<int> run_vault_check(const VaultCheckOptions& options) {
    auto opened = vault::Vault::open(platform::path_from_utf8(options.vault));
    if (!opened) {
        // Vault::open reads nothing but the config, so a size over a ceiling is the config's.
        if (opened.error().code == Errc::vault_damaged)
            return report_unopenable(options, "config-damaged", opened.error());
        if (opened.error().code == Errc::limit_exceeded)
            return report_unopenable(options, "config-too-large", opened.error());
        return std::move(opened).error();
    }
    vault::Clock& clock = vault::system_clock();
    vault::CheckOptions check_options;
    check_options.clock = &clock;
    vault::Findings state_findings;
    if (!options.no_state) {
        auto dir = resolve_state_dir(options.state_dir, opened->vault_id());
        if (!dir) {
            state_findings.push_back({vault::Severity::warning, "seen-state-unavailable", "",
                                      dir.error().message + ": rollback detection skipped"});
        } else if (auto seen = vault::read_seen_state(*dir); !seen) {
            state_findings.push_back({vault::Severity::warning, "seen-state-unreadable", "",
                                      seen.error().message + ": rollback detection skipped"});
        } else {
            check_options.seen = *seen;
        }
    }
    TRY_ASSIGN(vault::CheckReport report, vault::check_vault(*opened, check_options));
    report.findings.insert(report.findings.begin(), state_findings.begin(), state_findings.end());
    const vault::Catalog& catalog = report.catalog;

    std::size_t counts[5] = {0, 0, 0, 0, 0};
    for (const vault::CatalogEntry& e : catalog.entries)
        ++counts[static_cast<int>(e.state)];

    if (options.json) {
        nlohmann::ordered_json doc;
        doc["schema"] = "ssoescrow-vault-check/1";
        doc["vault"] = platform::path_to_utf8(opened->dir());
        doc["vault_id"] = opened->vault_id();
        doc["result"] = std::string(result_name(report.findings));
        doc["policy"] = opened->config().escrow.fingerprint();
        doc["backups"] = {{"verified", counts[0]},
                          {"orphan", counts[1]},
                          {"pruned", counts[2]},
                          {"missing", counts[3]},
                          {"damaged", counts[4]}};
        doc["audit"] = {{"records", catalog.chain.records.size()},
                        {"head_seq", catalog.chain.head_seq()},
                        {"head_hash", catalog.chain.head_hash()},
                        {"intact", catalog.chain.intact()}};
        doc["findings"] = nlohmann::ordered_json::array();
        for (const vault::Finding& f : report.findings)
            doc["findings"].push_back(finding_json(f));
        std::cout << doc.dump(2) << "\n";
    } else {
        for (const vault::Finding& f : report.findings) {
            std::cout << vault::severity_name(f.severity) << ": "
                      << (f.file.empty() ? std::string("vault") : f.file) << ": " << f.code << ": "
                      << f.message << "\n";
        }
        std::cout << "vault " << platform::path_to_utf8(opened->dir()) << ": "
                  << result_name(report.findings) << " (" << catalog.entries.size() << " backups, "
                  << counts[0] << " verified; audit log " << catalog.chain.records.size()
                  << " records, " << (catalog.chain.intact() ? "chain intact" : "chain damaged")
                  << ")\n";
    }
    TRY(flush_stdout());
    if (!options.no_state && catalog.chain.intact() && !report.damaged()) {
        remember_check_or_warn(options.state_dir, *opened, catalog, clock.now());
    }
    return exit_for(report.findings);
}

}  // namespace

void add_vault_check_command(CLI::App& vault, Command& selected) {
    auto options = std::make_shared<VaultCheckOptions>();
    CLI::App* check = vault.add_subcommand(
        "check", "Verify a vault without keys: config, envelopes, audit chain, leftovers");
    check->add_option("--vault", options->vault, "Vault directory")->required();
    check->add_flag("--json", options->json, "Print one JSON document instead of text");
    check->add_option("--state-dir", options->state_dir,
                      "Where this machine remembers the newest audit record it has seen, "
                      "outside the vault (default ~/.local/state/ssoescrow)");
    check->add_flag("--no-state", options->no_state,
                    "Neither compare with nor update the latest-seen state (no rollback check)");
    check->footer(
        "Read-only: takes no lock and writes nothing into the vault.\n"
        "Exit status (monitoring convention):\n"
        "  0  clean     no finding\n"
        "  1  warnings  only warnings (orphan, leftover temp file, stale lock...)\n"
        "  2  damaged   something is missing, altered or unreadable\n"
        "  3  unknown   the vault could not be checked (not found, unsupported version...)");
    check->callback([&selected, options] {
        selected.convention = ExitConvention::monitoring;
        selected.run = [options]() { return run_vault_check(*options); };
    });
}

}  // namespace ssoescrow::cli
