// `ssoescrow vault prune --vault DIR [--dry-run]`: removes backups the retention policy no longer
// keeps (vault/prune.hpp). --dry-run prints the same plan and changes nothing (no lock taken).
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "platform/path_text.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/signing_key.hpp"
#include "src/terminal.hpp"
#include "vault/lock.hpp"
#include "vault/prune.hpp"
#include "vault/vault.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::cli {

namespace {

struct VaultPruneOptions {
    std::string vault;
    bool dry_run = false;
    std::string state_dir;
    std::string signing_key;
    unsigned wait_seconds = 0;
    bool json = false;
};

// `vault prune --json` (README "Vaults": ssoescrow-vault-prune/1, keys in this order, only added).
void print_plan_json(const vault::Vault& opened, const vault::PrunePlan& plan, bool dry_run) {
    nlohmann::ordered_json doc;
    doc["schema"] = "ssoescrow-vault-prune/1";
    doc["vault"] = platform::path_to_utf8(opened.dir());
    doc["dry_run"] = dry_run;
    doc["decisions"] = nlohmann::ordered_json::array();
    for (const vault::PruneDecision& d : plan.decisions) {
        doc["decisions"].push_back({{"action", std::string(vault::prune_action_name(d.action))},
                                    {"backup", d.entry.backup_id},
                                    {"created", vault::format_time(d.entry.created)},
                                    {"reason", d.reason}});
    }
    doc["removed"] = plan.count(vault::PruneAction::remove);
    doc["kept"] = plan.count(vault::PruneAction::keep);
    doc["adopted"] = plan.count(vault::PruneAction::adopt);
    doc["skipped"] = plan.count(vault::PruneAction::skip);
    std::cout << doc.dump(2) << "\n";
}

void print_plan(const vault::PrunePlan& plan, bool dry_run) {
    for (const vault::PruneDecision& d : plan.decisions) {
        std::cout << (dry_run ? "would " : "") << vault::prune_action_name(d.action) << " "
                  << d.entry.backup_id << "  " << vault::format_time(d.entry.created) << "  "
                  << d.reason << "\n";
    }
    std::cout << (dry_run ? "plan: " : "done: ") << plan.count(vault::PruneAction::remove)
              << " to remove, " << plan.count(vault::PruneAction::keep) << " kept, "
              << plan.count(vault::PruneAction::adopt) << " orphans adopted, "
              << plan.count(vault::PruneAction::skip) << " skipped (damaged or missing)\n";
}

Result<int> run_vault_prune(const VaultPruneOptions& options) {
    TRY_ASSIGN(const vault::Vault opened,
               vault::Vault::open(platform::path_from_utf8(options.vault)));
    vault::Clock& clock = vault::system_clock();
    if (options.dry_run) {
        TRY_ASSIGN(const vault::Catalog catalog, vault::build_catalog(opened));
        const vault::PrunePlan plan = vault::plan_prune(catalog, opened.config(), clock.now());
        if (options.json)
            print_plan_json(opened, plan, true);
        else
            print_plan(plan, true);
        TRY(flush_stdout());
        if (!catalog.chain.intact()) {
            print_warning("the audit log is damaged: a real prune would refuse to run");
        }
        return 0;
    }
    vault::LockOptions lock_options;
    lock_options.operation = "prune";
    lock_options.clock = &clock;
    lock_options.wait = std::chrono::seconds(options.wait_seconds);
    TRY_ASSIGN(vault::WriteAccess access,
               vault::acquire_writer_lock(opened, lock_options, writer_context(options.state_dir)));
    vault::WriterLock& lock = access.lock;
    if (lock.taken_over())
        warn_lock_taken_over(*lock.taken_over());

    vault::PruneOptions prune_options;
    prune_options.clock = &clock;
    // Adopting an orphan is a signed statement; without a key the policy lists, orphans stay.
    auto signer = signing_key_for(options.signing_key, options.state_dir);
    if (signer && opened.config().escrow.find_signer(signer->signer.fingerprint()) != nullptr) {
        prune_options.signer = &signer.value();
    } else {
        print_warning("orphans are not adopted: " +
                      (signer ? "this host's signer " + signer->signer.describe() +
                                    " is not a signer of the vault's policy"
                              : signer.error().message));
    }
    TRY_ASSIGN(const vault::PruneResult result,
               vault::execute_prune(opened, lock, access.history, prune_options));
    remember_history_or_warn(opened, access, clock.now());
    TRY(lock.release());
    if (options.json)
        print_plan_json(opened, result.plan, false);
    else
        print_plan(result.plan, false);
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_vault_prune_command(CLI::App& vault, Command& selected) {
    auto options = std::make_shared<VaultPruneOptions>();
    CLI::App* prune = vault.add_subcommand(
        "prune", "Remove backups the retention policy no longer keeps (plan, then execute)");
    prune->add_option("--vault", options->vault, "Vault directory")->required();
    prune->add_flag("--dry-run", options->dry_run,
                    "Print the plan and change nothing (no lock is taken)");
    prune->add_flag("--json", options->json,
                    "Print one JSON document (schema ssoescrow-vault-prune/1) instead of text");
    prune->add_option("--wait", options->wait_seconds,
                      "Seconds to wait for another writer's lock (default 0: fail at once)");
    prune->add_option("--state-dir", options->state_dir,
                      "Where this machine remembers the newest audit record it has seen, "
                      "outside the vault, and keeps its signing key (default "
                      "~/.local/state/ssoescrow)");
    prune->add_option("--signing-key", options->signing_key,
                      "Sign adopt records with this key file instead of the host's key");
    prune->footer(
        "Never removes the newest backup of the current MSID, anything younger than\n"
        "max(min-retention, critical-backup-age), nor below min-retained backups; damaged and\n"
        "missing backups are never touched. Every removal is audit-logged before the file goes.\n"
        "Exit status: 0 done; 5 I/O error (no space, read-only vault); 7 another writer holds\n"
        "the lock, or ours was lost; 8 the audit log is damaged (nothing removed).");
    prune->callback([&selected, options] {
        selected.convention = ExitConvention::standard;
        selected.run = [options]() { return run_vault_prune(*options); };
    });
}

}  // namespace ssoescrow::cli
