// `ssoescrow vault init --vault DIR --threshold K --recipient A.pub ... [policy flags]`: creates a
// vault and prints its escrow-policy fingerprint, which every backup host pins.
#include <iostream>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/custodian_key.hpp"
#include "crypto/exchanged_text.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/signing_key.hpp"
#include "src/terminal.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

namespace {

struct VaultInitOptions {
    std::string vault;
    unsigned threshold = 0;
    std::vector<std::string> recipients;
    bool allow_single_custodian = false;
    std::string max_backup_age;
    std::string critical_backup_age;
    std::string max_drill_age;
    std::string min_retention;
    std::string keep_within;
    std::string max_key_age;
    std::optional<std::uint64_t> min_retained;
    std::optional<std::uint64_t> keep_last;
    std::string state_dir;
    std::vector<std::string> signers;  // signer line files (FILE.pub, or `signer show` output)
    bool no_local_signer = false;
    bool json = false;
};

// `vault init --json` (README "Vaults": ssoescrow-vault-init/1; keys in this order, only added).
nlohmann::ordered_json init_json(const vault::Vault& created) {
    const vault::VaultConfig& config = created.config();
    nlohmann::ordered_json doc;
    doc["schema"] = "ssoescrow-vault-init/1";
    doc["vault"] = platform::path_to_utf8(created.dir());
    doc["vault_id"] = created.vault_id();
    doc["threshold"] = config.escrow.threshold;
    doc["custodians"] = nlohmann::ordered_json::array();
    for (const crypto::Recipient& r : config.escrow.recipients)
        doc["custodians"].push_back({{"label", r.label}, {"fingerprint", r.fingerprint()}});
    doc["signers"] = nlohmann::ordered_json::array();
    for (const crypto::Signer& signer : config.escrow.signers) {
        doc["signers"].push_back({{"label", signer.label}, {"fingerprint", signer.fingerprint()}});
    }
    doc["policy"] = config.escrow.fingerprint();
    return doc;
}

Status set_duration(const std::string& flag_value, std::string_view flag, std::int64_t& target) {
    if (flag_value.empty())
        return {};
    auto value = vault::parse_duration_flag(flag_value, flag);
    if (!value) {
        Error error = std::move(value).error();
        error.code = Errc::usage;
        error.hint = "durations are a number and a unit: s, m, h or d (e.g. 26h, 90d)";
        return error;
    }
    target = *value;
    return {};
}

Result<int> run_vault_init(const VaultInitOptions& options) {
    vault::Vault::InitOptions init;
    init.escrow.threshold = options.threshold;
    init.escrow.allow_single_custodian = options.allow_single_custodian;
    for (const std::string& file : options.recipients) {
        TRY_ASSIGN(crypto::Recipient recipient, read_recipient_file(file));
        init.escrow.recipients.push_back(std::move(recipient));
    }
    // This host signs the backups it makes: its signer is in the policy unless --no-local-signer
    // (a vault administered from a machine that never backs up).
    if (!options.no_local_signer) {
        TRY_ASSIGN(const crypto::SigningKey host, host_signing_key(options.state_dir));
        init.escrow.signers.push_back(host.signer);
    }
    for (const std::string& file : options.signers) {
        TRY_ASSIGN(crypto::Signer signer, read_signer_line_file(file));
        init.escrow.signers.push_back(std::move(signer));
    }
    if (init.escrow.signers.empty()) {
        return make_error(Errc::usage,
                          "--no-local-signer without any --signer: no host could "
                          "sign a backup for this vault",
                          "give each backup host's signer line with --signer FILE ('ssoescrow "
                          "signer show' on that host)");
    }
    TRY(set_duration(options.max_backup_age, "--max-backup-age", init.freshness.max_backup_age));
    TRY(set_duration(options.critical_backup_age, "--critical-backup-age",
                     init.freshness.critical_backup_age));
    TRY(set_duration(options.max_drill_age, "--max-drill-age", init.freshness.max_drill_age));
    TRY(set_duration(options.min_retention, "--min-retention", init.freshness.min_retention));
    TRY(set_duration(options.keep_within, "--keep-within", init.retention.keep_within));
    std::int64_t max_key_age = vault::k_default_max_key_age;
    TRY(set_duration(options.max_key_age, "--max-key-age", max_key_age));
    init.freshness.max_key_age = max_key_age;
    if (options.min_retained)
        init.freshness.min_retained = *options.min_retained;
    if (options.keep_last)
        init.retention.keep_last = *options.keep_last;

    TRY_ASSIGN(const vault::Vault created,
               vault::Vault::init(platform::path_from_utf8(options.vault), init));
    const vault::VaultConfig& config = created.config();

    // Remember the first audit record as seen, so a later rollback is noticed from this machine.
    if (auto chain = vault::read_audit_chain(created.dir(), created.vault_id()); chain) {
        remember_seen_or_warn(options.state_dir, *chain, created.vault_id(), config.created);
    }
    // This host made the policy, so it pins it: a `backup` here without --expect-policy enforces
    // it rather than learning whatever the config holds on its first run.
    remember_policy_pin_or_warn(options.state_dir, created);

    if (options.json) {
        std::cout << init_json(created).dump(2) << "\n";
        TRY(flush_stdout());
        print_info("pin the policy on every backup host: ssoescrow backup --expect-policy " +
                   config.escrow.fingerprint() + " ...");
        return 0;
    }
    std::cout << "vault: " << platform::path_to_utf8(created.dir()) << "\n"
              << "vault id: " << created.vault_id() << "\n"
              << "threshold: " << config.escrow.threshold << " of "
              << config.escrow.recipients.size() << "\n";
    for (const crypto::Recipient& r : config.escrow.recipients) {
        std::cout << "custodian: " << r.label << " (" << r.fingerprint() << ")\n";
    }
    for (const crypto::Signer& signer : config.escrow.signers) {
        std::cout << "signer: " << signer.label << " (" << signer.fingerprint() << ")\n";
    }
    std::cout << "policy fingerprint: " << config.escrow.fingerprint() << "\n";
    TRY(flush_stdout());
    print_info("pin the policy on every backup host: ssoescrow backup --expect-policy " +
               config.escrow.fingerprint() + " ...");
    return 0;
}

}  // namespace

void add_vault_init_command(CLI::App& vault, Command& selected) {
    auto options = std::make_shared<VaultInitOptions>();
    CLI::App* init = vault.add_subcommand(
        "init", "Create a vault whose backups are sealed K-of-N to the given custodians");
    init->add_option("--vault", options->vault, "Directory of the new vault (new or empty)")
        ->required();
    init->add_option("--threshold", options->threshold,
                     "K: how many custodians must approve a restore")
        ->required()
        ->check(CLI::Range(1u, 255u));
    init->add_option("--recipient", options->recipients,
                     "A custodian's recipient file (NAME.pub from 'custodian keygen'); repeat "
                     "once per custodian")
        ->required();
    init->add_flag("--allow-single-custodian", options->allow_single_custodian,
                   "Allow threshold 1 (one custodian alone can open every backup)");
    init->add_option("--max-backup-age", options->max_backup_age,
                     "Newest backup older than this: warning (default 26h)");
    init->add_option("--critical-backup-age", options->critical_backup_age,
                     "Newest backup older than this: critical (default 3d)");
    init->add_option("--max-drill-age", options->max_drill_age,
                     "No restore drill younger than this: warning (default 90d)");
    init->add_option("--min-retained", options->min_retained,
                     "Prune never leaves fewer backups than this (default 7)");
    init->add_option("--min-retention", options->min_retention,
                     "Prune never removes a backup younger than this (default 35d)");
    init->add_option("--keep-last", options->keep_last,
                     "Prune keeps the newest N backups (default 35)");
    init->add_option("--keep-within", options->keep_within,
                     "Prune keeps every backup younger than this (default 35d)");
    init->add_option("--max-key-age", options->max_key_age,
                     "A custodian key in the policy longer than this: warning (default 730d, "
                     "NIST SP 800-57's cryptoperiod for key-agreement keys)");
    init->add_option("--state-dir", options->state_dir,
                     "Where this machine remembers the newest audit record it has seen, outside "
                     "the vault, and keeps its signing key (default ~/.local/state/ssoescrow)");
    init->add_option("--signer", options->signers,
                     "Another backup host's or operator's signer line (the output of 'signer "
                     "show' on that host, or FILE.pub of 'signer keygen'); repeatable");
    init->add_flag("--json", options->json,
                   "Print one JSON document (schema ssoescrow-vault-init/1) instead of text");
    init->add_flag("--no-local-signer", options->no_local_signer,
                   "Do not list this host's own signer (it will never back up to this vault)");
    init->footer(
        "Prints the vault id and the escrow-policy fingerprint (sha256:...) on stdout; pin the\n"
        "fingerprint on every backup host with --expect-policy.\n"
        "Signers: this host's signing key (created on first use in the state dir) is listed\n"
        "unless --no-local-signer; list a cluster's other nodes with --signer FILE.\n"
        "Exit status: 0 created; 2 usage, or the threshold/recipients/signers were refused\n"
        "(K < 2 without --allow-single-custodian, K > N, duplicates); 3 a recipient file\n"
        "is malformed; 5 I/O error; 6 the directory is already a vault or is not empty.");
    init->callback([&selected, options] {
        selected.convention = ExitConvention::standard;
        selected.run = [options]() { return run_vault_init(*options); };
    });
}

}  // namespace ssoescrow::cli
