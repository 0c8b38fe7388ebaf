// `ssoescrow vault accept-rollback --vault DIR --reason TEXT`: the deliberate way past a
// rollback. Every writer refuses a vault whose audit log is behind, or different from, what this
// host saw last (vault/writer.hpp), because that is what an attacker who puts back an older copy
// of the vault produces. An operator who put back an older copy on purpose (the newest one is
// lost) says so here: the vault must otherwise verify (intact chain, audit-logged config), a
// `rollback-accepted` record naming the head this host had seen and the reason is appended,
// and only then does this host's latest-seen state move to the vault's new head. It is the one
// path on which that state moves to another history, and it is per host: every other witness
// keeps reporting the rollback until its operator accepts it too.
#include <iostream>
#include <memory>
#include <string>

#include "platform/path_text.hpp"
#include "src/cli/vault_commands.hpp"
#include "src/terminal.hpp"
#include "vault/audit_log.hpp"
#include "vault/host_state.hpp"
#include "vault/lock.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::cli {

namespace {

struct AcceptRollbackOptions {
    std::string vault;
    std::string reason;
    std::string state_dir;
    unsigned wait_seconds = 0;
};

Result<int> run_accept_rollback(const AcceptRollbackOptions& options) {
    if (auto valid = vault::check_text(options.reason, "--reason"); !valid) {
        Error error = std::move(valid).error();
        error.code = Errc::usage;
        error.hint =
            "say why in 1 to 256 printable characters, e.g. --reason \"vault restored from the "
            "2026-11-20 tape after the disk failure\"";
        return error;
    }
    TRY_ASSIGN(const vault::Vault opened,
               vault::Vault::open(platform::path_from_utf8(options.vault)));
    const std::string dir = platform::path_to_utf8(opened.dir());
    TRY_ASSIGN(const std::filesystem::path state_dir,
               resolve_state_dir(options.state_dir, opened.vault_id()));
    TRY_ASSIGN(const std::optional<vault::SeenState> seen, vault::read_seen_state(state_dir));
    vault::Clock& clock = vault::system_clock();
    vault::LockOptions lock_options;
    lock_options.operation = "accept-rollback";
    lock_options.clock = &clock;
    lock_options.wait = std::chrono::seconds(options.wait_seconds);
    // Not acquire_writer_lock: it refuses exactly the rollback this command accepts. The other
    // checks of a writer are made here instead.
    TRY_ASSIGN(vault::WriterLock lock, vault::WriterLock::acquire(opened.dir(), lock_options));
    TRY_ASSIGN(vault::AuditChain chain, vault::read_audit_chain(opened.dir(), opened.vault_id()));
    if (!chain.intact()) {
        return make_error(Errc::vault_damaged,
                          "the audit log of " + dir +
                              " is damaged; a rollback can only be accepted into an intact log",
                          "run 'ssoescrow vault check --vault " + dir + " --no-state'");
    }
    TRY(vault::check_config_recorded(opened, chain));
    const vault::Findings differs =
        seen ? vault::compare_with_seen(chain, *seen) : vault::Findings{};
    if (differs.empty()) {
        TRY(lock.release());
        return make_error(
            Errc::precondition,
            "nothing to accept: the audit log of " + dir + " holds " +
                (seen ? "record " + std::to_string(seen->seq) + ", the newest this host has seen"
                      : std::string("everything (this host has seen none of it)")),
            "writers and 'vault check' accept this vault as it is");
    }
    if (differs.front().code == "seen-state-other-vault") {
        return make_error(Errc::precondition, differs.front().message,
                          "check --state-dir: it holds the state of another vault");
    }
    if (lock.taken_over()) {
        warn_lock_taken_over(*lock.taken_over());
        TRY(vault::audit_lock_takeover(opened, *lock.taken_over(), lock_options.operation,
                                       clock.now()));
        TRY_ASSIGN(chain, vault::read_audit_chain(opened.dir(), opened.vault_id()));
    }
    vault::AuditRecord record;
    record.type = vault::AuditType::rollback_accepted;
    record.time = clock.now();
    record.actor = vault::current_actor();
    record.fields.push_back({"seen-seq", std::to_string(seen->seq)});
    record.fields.push_back({"seen-record", seen->record_hash});
    record.fields.push_back({"reason", options.reason});
    TRY(lock.check_still_held());
    TRY_ASSIGN(const vault::ChainRecord written,
               vault::append_audit_record(opened.dir(), chain, std::move(record)));
    TRY(vault::replace_seen(state_dir, chain, opened.vault_id(), clock.now()));
    TRY(lock.release());

    print_warning("accepted " + differs.front().code + " of vault " + dir +
                  ": this host had seen record " + std::to_string(seen->seq) + " on " +
                  vault::format_time(seen->time) +
                  "; every other host that saw it refuses to write until it is accepted there too");
    std::cout << "accepted: the audit log of " << dir << " now ends at record "
              << written.record.seq << " (rollback-accepted), and this host remembers it as seen\n";
    TRY(flush_stdout());
    return 0;
}

}  // namespace

void add_vault_accept_rollback_command(CLI::App& vault, Command& selected) {
    auto options = std::make_shared<AcceptRollbackOptions>();
    CLI::App* command = vault.add_subcommand(
        "accept-rollback",
        "Accept, on this host, a vault that was put back from an older copy on purpose "
        "(audit-logged)");
    command->add_option("--vault", options->vault, "Vault directory")->required();
    command
        ->add_option("--reason", options->reason,
                     "Why, for the audit log (1..256 printable characters; no secrets)")
        ->required();
    command->add_option("--state-dir", options->state_dir,
                        "Where this machine remembers the newest audit record it has seen "
                        "(default ~/.local/state/ssoescrow)");
    command->add_option("--wait", options->wait_seconds,
                        "Seconds to wait for another writer's lock (default 0: fail at once)");
    command->footer(
        "Only after making sure no newer copy of the vault exists: a rolled-back vault is what\n"
        "someone who can write the vault produces to erase backups or records. The vault must\n"
        "otherwise verify (intact audit log, recorded config). Appends a rollback-accepted\n"
        "record (the head this host had seen, the reason), then moves this host's latest-seen\n"
        "state to the vault's head. Other hosts keep refusing until they accept it too.\n"
        "Exit status: 0 accepted; 2 usage; 5 I/O; 6 nothing to accept (or another vault's\n"
        "state); 7 locked; 8 the vault is damaged otherwise.");
    command->callback([&selected, options] {
        selected.convention = ExitConvention::standard;
        selected.run = [options]() { return run_accept_rollback(*options); };
    });
}

}  // namespace ssoescrow::cli
