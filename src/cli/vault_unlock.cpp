// `ssoescrow vault unlock --vault DIR [--force]`: removes a writer lock left behind by a job that
// can no longer release it. Without --force only a stale lock is removed (same host and dead
// process, or not refreshed within its ttl plus the clock-skew allowance): exactly what the next
// writer would do anyway. With --force a live or unreadable lock is removed too, for the case the
// operator knows better (the holder's host is gone for good). Every removal is audit-logged.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "platform/path_text.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/terminal.hpp"
#include "vault/lock.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::cli {

namespace {

struct VaultUnlockOptions {
    std::string vault;
    bool force = false;
    std::string state_dir;
    bool json = false;
};

std::string describe(const vault::BrokenLock& broken) {
    if (broken.malformed)
        return "an unreadable lock file";
    const vault::LockInfo& info = broken.previous.info;
    return "the lock of " + info.operation + " on " + info.host + " (pid " +
           std::to_string(info.pid) + ", started " + vault::format_time(info.started) + ")";
}

Result<int> run_vault_unlock(const VaultUnlockOptions& options) {
    TRY_ASSIGN(const vault::Vault opened,
               vault::Vault::open(platform::path_from_utf8(options.vault)));
    vault::Clock& clock = vault::system_clock();
    vault::LockOptions lock_options;
    lock_options.operation = "unlock";
    lock_options.clock = &clock;

    // A writer's checks come before anything is removed: a removal that could not be
    // audit-logged afterwards (a damaged, rolled-back or re-configured vault) must not happen.
    TRY_ASSIGN(const std::filesystem::path state_dir,
               resolve_state_dir(options.state_dir, opened.vault_id()));
    TRY(vault::verify_history_for_writing(opened, state_dir));

    std::optional<vault::BrokenLock> forced;
    if (options.force) {
        auto broken = vault::break_lock(opened.dir(), vault::BreakMode::force, lock_options);
        if (!broken && broken.error().code != Errc::not_found)
            return std::move(broken).error();
        if (broken)
            forced = std::move(broken).value();
    }
    // Taking the lock ourselves breaks a stale one (and audit-logs it), and lets us append the
    // record of a forced removal under the lock like any other writer.
    auto acquired =
        vault::acquire_writer_lock(opened, lock_options, writer_context(options.state_dir));
    if (!acquired) {
        Error error = std::move(acquired).error();
        if (error.code == Errc::locked && error.hint.find("vault unlock") == std::string::npos) {
            error.hint +=
                "; if you are sure no job is running there, remove it with "
                "'ssoescrow vault unlock --vault " +
                platform::path_to_utf8(opened.dir()) + " --force'";
        }
        return error;
    }
    vault::WriteAccess access = std::move(acquired).value();
    vault::WriterLock& lock = access.lock;
    if (forced)
        TRY(vault::audit_lock_takeover(opened, access.history, *forced, "unlock", clock.now()));
    TRY(lock.release());

    if (forced)
        print_warning("removed " + describe(*forced) + " by force; recorded in the audit log");
    if (options.json) {
        // README "Vaults": ssoescrow-vault-unlock/1, keys in this order, only ever added.
        const std::optional<vault::BrokenLock>& removed = forced ? forced : lock.taken_over();
        nlohmann::ordered_json doc;
        doc["schema"] = "ssoescrow-vault-unlock/1";
        doc["vault"] = platform::path_to_utf8(opened.dir());
        doc["result"] = forced ? "forced" : removed ? "stale-removed" : "not-locked";
        doc["removed"] =
            removed ? nlohmann::ordered_json(describe(*removed)) : nlohmann::ordered_json(nullptr);
        std::cout << doc.dump(2) << "\n";
    } else if (forced) {
        std::cout << "unlocked: removed " << describe(*forced) << " by force\n";
    } else if (const auto& stale = lock.taken_over()) {
        std::cout << "unlocked: removed the stale " << describe(*stale).substr(4)
                  << "; recorded in the audit log\n";
    } else {
        std::cout << "vault " << platform::path_to_utf8(opened.dir()) << " was not locked\n";
    }
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_vault_unlock_command(CLI::App& vault, Command& selected) {
    auto options = std::make_shared<VaultUnlockOptions>();
    CLI::App* unlock = vault.add_subcommand(
        "unlock", "Remove a writer lock left behind by a job that died (audit-logged)");
    unlock->add_option("--vault", options->vault, "Vault directory")->required();
    unlock->add_flag("--force", options->force,
                     "Also remove a live or unreadable lock: only when you are sure its holder "
                     "no longer runs (e.g. its host is gone)");
    unlock->add_flag("--json", options->json,
                     "Print one JSON document (schema ssoescrow-vault-unlock/1) instead of text");
    unlock->add_option("--state-dir", options->state_dir,
                       "Where this machine remembers the newest audit record it has seen "
                       "(default ~/.local/state/ssoescrow)");
    unlock->footer(
        "Without --force only a stale lock is removed: its process is dead (same host) or it was\n"
        "not refreshed within its ttl (plus 2 h for another host). A live lock is refused.\n"
        "A holder whose lock was removed notices before committing and aborts (exit 7).\n"
        "Like every writer it refuses a vault whose audit log is damaged, rolled back or does not\n"
        "record its config.\n"
        "Exit status: 0 unlocked (or not locked); 7 the lock is live (use --force); 5 I/O;\n"
        "8 the vault is damaged.");
    unlock->callback([&selected, options] {
        selected.convention = ExitConvention::standard;
        selected.run = [options]() { return run_vault_unlock(*options); };
    });
}

}  // namespace ssoescrow::cli
