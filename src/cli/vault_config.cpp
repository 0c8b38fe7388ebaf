// `ssoescrow vault config set`: changes the vault's non-security settings (freshness thresholds,
// retention, key-age limit) after `vault init`, audit-logged (vault/config_change.hpp). Without
// settings it only finishes a change that was interrupted between its record and the config.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "platform/path_text.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/terminal.hpp"
#include "vault/config_change.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::cli {

namespace {

struct ConfigSetOptions {
    std::string vault;
    std::vector<std::string> assignments;  // KEY=VALUE
    std::string reason;
    bool reason_given = false;
    unsigned wait_seconds = 0;
    std::string state_dir;
};

Result<int> run_config_set(const ConfigSetOptions& options) {
    vault::ConfigChangeOptions change;
    for (const std::string& assignment : options.assignments) {
        TRY_ASSIGN(vault::ConfigSetting setting, vault::parse_config_assignment(assignment));
        change.settings.push_back(std::move(setting));
    }
    if (options.reason_given) {
        if (auto valid = vault::check_text(options.reason, "--reason"); !valid) {
            Error error = std::move(valid).error();
            error.code = Errc::usage;
            error.hint = "say why in 1 to 256 printable characters";
            return error;
        }
        change.reason = options.reason;
    }
    vault::Clock& clock = vault::system_clock();
    change.lock.operation = "config-set";
    change.lock.clock = &clock;
    change.lock.wait = std::chrono::seconds(options.wait_seconds);
    change.writer = writer_context(options.state_dir);
    TRY_ASSIGN(const vault::ConfigChangeOutcome outcome,
               vault::change_config(platform::path_from_utf8(options.vault), change));
    remember_vault_head_or_warn(options.vault, options.state_dir);

    if (outcome.finished_seq != 0) {
        std::cout << "finished the interrupted config change of audit record "
                  << outcome.finished_seq << "\n";
    }
    if (outcome.changed.empty()) {
        if (outcome.finished_seq == 0)
            std::cout << "nothing to change: every setting already has that value; nothing "
                         "written\n";
        TRY(flush_stdout());
        return 0;
    }
    for (std::size_t i = 0; i < outcome.changed.size(); ++i) {
        std::cout << outcome.changed[i].key << ": " << outcome.before[i].value << " -> "
                  << outcome.changed[i].value << "\n";
    }
    std::cout << "config changed (audit record " << outcome.record_seq << ", config SHA-256 "
              << outcome.new_config << "); the escrow policy is unchanged\n";
    TRY(flush_stdout());
    return 0;
}

std::string settable_keys_text() {
    std::string out;
    for (std::string_view key : vault::settable_config_keys())
        out += (out.empty() ? "" : ", ") + std::string(key);
    return out;
}

}  // namespace

void add_vault_config_command(CLI::App& vault, Command& selected) {
    CLI::App* config = vault.add_subcommand("config", "Change the vault's settings");
    config->require_subcommand(1);
    auto options = std::make_shared<ConfigSetOptions>();
    CLI::App* set = config->add_subcommand(
        "set", "Change freshness, retention and key-age settings (audit-logged)");
    set->add_option("--vault", options->vault, "Vault directory")->required();
    set->add_option(
        "settings", options->assignments,
        "KEY=VALUE: " + settable_keys_text() + " (durations like 26h, 3d; counts as integers)");
    set->add_option("--reason", options->reason,
                    "Why, for the audit log (1..256 printable characters; no secrets)");
    set->add_option("--wait", options->wait_seconds,
                    "Seconds to wait for another writer's lock (default 0: fail at once)");
    set->add_option("--state-dir", options->state_dir,
                    "Where this machine remembers the newest audit record it has seen "
                    "(default ~/.local/state/ssoescrow)");
    set->footer(
        "The escrow policy (custodians, threshold, signers), the vault id and its creation\n"
        "time are not settings: custodian turnover is the rekey ceremony. Values that break a\n"
        "rule are refused (critical-backup-age >= max-backup-age; min-retention and keep-within\n"
        ">= critical-backup-age). Without settings, finishes a change that was interrupted.\n"
        "Exit status: 0 changed (or nothing to change); 2 a bad setting or a value that breaks\n"
        "a rule;"
        " 5 I/O; 7 locked; 8 the audit log is damaged or the config is not the recorded one.");
    set->callback([&selected, options, set] {
        options->reason_given = set->count("--reason") != 0;
        selected.convention = ExitConvention::standard;
        selected.run = [options]() { return run_config_set(*options); };
    });
}

}  // namespace ssoescrow::cli
