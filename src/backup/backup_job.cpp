#include "src/backup/backup_job.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "platform/file_io.hpp"
#include "platform/interrupt.hpp"
#include "platform/path_text.hpp"
#include "platform/test_hooks.hpp"
#include "src/backup/password.hpp"
#include "src/backup/scratch_dir.hpp"
#include "src/bridge/bridge_client.hpp"
#include "src/topology/names.hpp"
#include "vault/audit_log.hpp"
#include "vault/check.hpp"
#include "vault/host_state.hpp"
#include "vault/lock.hpp"
#include "vault/prune.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::backup {

namespace fs = std::filesystem;
using crypto::SecretBytes;
using platform::InterruptCleanup;

std::string_view job_name(JobKind kind) noexcept {
    switch (kind) {
        case JobKind::backup:
            return "backup";
        case JobKind::rotate:
            return "rotate";
        case JobKind::import:
            return "import";
    }
    return "backup";
}

namespace {

vault::AuditType audit_type_of(JobKind kind) {
    switch (kind) {
        case JobKind::backup:
            return vault::AuditType::backup;
        case JobKind::rotate:
            return vault::AuditType::rotate;
        case JobKind::import:
            return vault::AuditType::import;
    }
    return vault::AuditType::backup;
}

// An open vault with its writer lock held, checked for the pinned policy and writability.
struct WriterSession {
    vault::Vault vault;
    vault::WriterLock lock;
    vault::VerifiedHistory history;  // verified under `lock`, extended by every write
    std::filesystem::path state_dir;
};

Status check_pinned_policy(const vault::Vault& opened, const std::string& expected) {
    const std::string actual = opened.config().escrow.fingerprint();
    if (actual == expected)
        return {};
    return make_error(Errc::policy_mismatch,
                      "the escrow policy of vault " + platform::path_to_utf8(opened.dir()) +
                          " is " + actual + ", not the pinned " + expected,
                      "if the custodians or threshold were changed on purpose, check the new "
                      "policy ('ssoescrow vault check --vault " +
                          platform::path_to_utf8(opened.dir()) +
                          "') and update --expect-policy in the scheduled task; otherwise treat "
                          "the vault as tampered with and do not back up into it");
}

// The policy pin (FORMAT.md 4.3). With --expect-policy the given fingerprint is enforced and
// becomes this host's pin (so `--expect-policy NEW` once is how a deliberate policy change is
// accepted); without it, the pin this host learned on first use is enforced, or learned now.
// Called under the lock after verify_history_for_writing, so only an audit-logged policy is
// ever learned.
Status enforce_policy_pin(const vault::Vault& opened, const VaultTarget& target, JobLog& log,
                          vault::Clock& clock) {
    TRY_ASSIGN(const fs::path state_dir,
               vault::state_dir_for(target.state_root, opened.vault_id()));
    const std::string actual = opened.config().escrow.fingerprint();
    const std::string dir = platform::path_to_utf8(opened.dir());
    const std::string pin_file = platform::path_to_utf8(state_dir / vault::k_policy_pin_file);
    auto stored = vault::read_policy_pin(state_dir);
    if (!target.expect_policy.empty()) {
        TRY(check_pinned_policy(opened, target.expect_policy));
        // An unreadable pin is simply replaced: the explicit fingerprint is the authority.
        if (stored && *stored && (*stored)->policy == actual &&
            (*stored)->vault_id == opened.vault_id())
            return {};
        vault::PolicyPin pin{opened.vault_id(), actual, clock.now(),
                             vault::PinSource::expect_policy};
        if (Status written = vault::write_policy_pin(state_dir, pin); !written) {
            log.warning("policy-pin", "the policy pin was not updated: " + written.error().message);
            return {};
        }
        log.info("policy-pinned", "this host now pins policy " + actual + " (" + pin_file + ")",
                 {{"policy", actual}});
        return {};
    }
    if (!stored) {
        Error error = std::move(stored).error();
        error.message = "this host's policy pin cannot be read: " + error.message;
        error.hint =
            "give the fingerprint the custodians recorded with --expect-policy (it "
            "replaces the pin), or repair " +
            pin_file;
        return error;
    }
    if (*stored) {
        const vault::PolicyPin& pin = **stored;
        if (pin.vault_id == opened.vault_id() && pin.policy == actual)
            return {};
        return make_error(
            Errc::policy_mismatch,
            "the escrow policy of vault " + dir + " is " + actual + ", but this host pinned " +
                pin.policy + " on " + vault::format_time(pin.time) + " (" +
                std::string(vault::pin_source_name(pin.source)) + ", " + pin_file + ")",
            "if the custodians or threshold were changed on purpose, compare " + actual +
                " with the fingerprint the custodians recorded, then run this command once with "
                "--expect-policy " +
                actual +
                ", which pins it from then on; otherwise treat the vault as tampered with and "
                "do not back up into it");
    }
    vault::PolicyPin pin{opened.vault_id(), actual, clock.now(), vault::PinSource::first_use};
    if (Status written = vault::write_policy_pin(state_dir, pin); !written) {
        Error error = std::move(written).error();
        error.message = "cannot pin the vault's escrow policy on this host: " + error.message;
        error.hint = "give --expect-policy " + actual +
                     " (after comparing it with the fingerprint the custodians recorded), or a "
                     "writable --state-dir";
        return error;
    }
    log.info("policy-pinned",
             "first use on this host: pinned escrow policy " + actual + " (" + pin_file +
                 "); a different policy is refused from now on",
             {{"policy", actual}});
    return {};
}

// The lock's ttl covers the longest bridge call several times over: a holder refreshes only
// between calls, and a live holder must never look expired to another writer.
std::chrono::seconds lock_ttl_for(const BridgeTarget& bridge) {
    const auto bridge_bound = std::chrono::duration_cast<std::chrono::seconds>(bridge.timeout) * 3 +
                              std::chrono::seconds(60);
    return std::max<std::chrono::seconds>(vault::LockOptions{}.ttl, bridge_bound);
}

Result<WriterSession> open_for_writing(JobKind kind, const VaultTarget& target,
                                       const BridgeTarget& bridge, JobLog& log,
                                       vault::Clock& clock) {
    TRY_ASSIGN(vault::Vault opened, vault::Vault::open(target.vault_dir));
    // Before the bridge is asked for anything: the vault must accept what this host signs.
    if (target.signer != nullptr &&
        opened.config().escrow.find_signer(target.signer->signer.fingerprint()) == nullptr) {
        return make_error(Errc::precondition,
                          "this host's signer " + target.signer->signer.describe() +
                              " is not a signer of the escrow policy of vault " +
                              platform::path_to_utf8(opened.dir()) +
                              ": the vault would not accept its backups",
                          "use the signing key the vault was initialised with (--signing-key "
                          "FILE, or the --state-dir given to 'vault init'), or have the vault's "
                          "policy list this host ('ssoescrow signer show')");
    }
    log.debug(
        "vault-open",
        "vault " + opened.vault_id() + " opened, policy " + opened.config().escrow.fingerprint(),
        {{"vault", opened.vault_id()}, {"policy", opened.config().escrow.fingerprint()}});
    vault::LockOptions lock_options;
    lock_options.operation = std::string(job_name(kind));
    lock_options.clock = &clock;
    lock_options.wait = target.lock_wait;
    lock_options.ttl = lock_ttl_for(bridge);
    // Opened again under the lock: a rekey that finished while this job waited has replaced
    // the config, and the job seals to the policy current by then.
    TRY_ASSIGN(vault::LockedVault locked, vault::open_and_lock_for_writing(
                                              target.vault_dir, lock_options, {target.state_root}));
    opened = std::move(locked.vault);
    vault::WriteAccess access = std::move(locked.access);
    if (const auto& broken = access.lock.taken_over()) {
        const vault::LockInfo& info = broken->previous.info;
        log.warning("lock-takeover",
                    "took over a stale writer lock of " + info.operation + " on " + info.host +
                        " (pid " + std::to_string(info.pid) + "); recorded in the audit log",
                    {{"holder-host", info.host}, {"holder-pid", std::to_string(info.pid)}});
    }
    TRY(enforce_policy_pin(opened, target, log, clock));
    // Only a rotate creates something that cannot be made again (the new master secret): a
    // backup or import that fails to commit is simply run again, so it is not worth two fsynced
    // 256 KiB writes on every run (FORMAT.md 4.5).
    if (kind == JobKind::rotate)
        TRY(vault::check_vault_writable(opened));
    return WriterSession{std::move(opened), std::move(access.lock), std::move(access.history),
                         std::move(access.state_dir)};
}

// Reads the .bak a bridge (or an operator) produced. A missing or empty file after a reported
// success is a bridge failure, not an I/O error of ours.
Result<SecretBytes> read_bak(const fs::path& file, bool from_bridge) {
    auto read =
        platform::read_secret_file(file, vault::k_max_bak_size, platform::RequireOwnerOnly::no);
    if (!read) {
        Error error = std::move(read).error();
        if (from_bridge && (error.code == Errc::not_found || error.code == Errc::limit_exceeded)) {
            return make_error(Errc::bridge_failed,
                              "the bridge reported success but did not produce a readable "
                              "backup file: " +
                                  error.message,
                              "check the bridge's diagnostics; on Windows, the ENTSSO event log "
                              "(events 10559/10560)");
        }
        return error;
    }
    if (read.value().empty()) {
        if (from_bridge) {
            return make_error(Errc::bridge_failed,
                              "the bridge reported success but the backup file " +
                                  platform::path_to_utf8(file) + " is empty");
        }
        return make_error(Errc::parse,
                          "the backup file " + platform::path_to_utf8(file) + " is empty");
    }
    return std::move(read).value();
}

std::array<std::uint8_t, 32> sha256_of(const SecretBytes& data) {
    const crypto::Digest digest = crypto::sha256(data.view());
    std::array<std::uint8_t, 32> out{};
    std::copy(digest.begin(), digest.end(), out.begin());
    return out;
}

// Steps 7..9: seal, commit, verify the commit, prune.
Result<JobResult> seal_and_commit(JobKind kind, WriterSession& session,
                                  const vault::BackupId& backup_id, vault::SourceInfo source,
                                  vault::Bundle bundle, const VaultTarget& target, JobLog& log,
                                  vault::Clock& clock, ScratchDir* scratch,
                                  std::optional<std::int64_t> created = std::nullopt) {
    JobResult result;
    result.kind = kind;
    result.bak_size = bundle.bak.size();
    result.created = created.value_or(clock.now());
    result.policy_fingerprint = session.vault.config().escrow.fingerprint();
    if (target.signer == nullptr)
        return make_error(Errc::internal, "the job has no signing key");
    vault::SealContext seal;
    seal.vault_id = session.vault.config().vault_id;
    seal.signer = target.signer;
    TRY_ASSIGN(const Bytes envelope,
               vault::seal_envelope(session.vault.config().escrow, seal, source, bundle,
                                    result.created, backup_id));
    log.debug("sealed",
              "sealed " + std::to_string(envelope.size()) + " bytes and opened them again with " +
                  std::to_string(session.vault.config().escrow.threshold) + " shares",
              {{"backup", vault::backup_id_hex(backup_id)}});
    platform::test_hooks::crash_point("job-after-seal");
    if (scratch != nullptr)
        TRY(scratch->wipe_and_remove());

    TRY(session.lock.refresh_if_due());
    TRY_ASSIGN(result.stored,
               vault::store_envelope(session.vault, session.lock, session.history, envelope,
                                     audit_type_of(kind), clock.now(), *target.signer));
    // Check our own output: the committed file must be byte for byte what was sealed.
    TRY_ASSIGN(const Bytes committed, platform::read_file(session.vault.dir() / result.stored.path,
                                                          vault::k_max_envelope_file_size));
    if (committed != envelope) {
        return make_error(
            Errc::vault_damaged,
            "the committed envelope " + result.stored.path + " does not read back as written",
            "check the storage; run 'ssoescrow vault check --vault " +
                platform::path_to_utf8(session.vault.dir()) + "'");
    }
    result.source = std::move(source);
    log.info("committed",
             std::string(job_name(kind)) + " " + result.stored.backup_id + " committed as " +
                 result.stored.path,
             {{"backup", result.stored.backup_id},
              {"envelope-sha256", result.stored.envelope_hash},
              {"audit-seq", std::to_string(result.stored.audit_seq)}});

    if (target.prune) {
        vault::PruneOptions prune_options;
        prune_options.clock = &clock;
        prune_options.signer = target.signer;
        auto pruned =
            vault::execute_prune(session.vault, session.lock, session.history, prune_options);
        if (pruned) {
            result.pruned = pruned.value().removed;
            if (!result.pruned.empty()) {
                log.info("pruned", "pruned " + std::to_string(result.pruned.size()) +
                                       " backup(s) the retention policy no longer keeps");
            }
        } else {
            log.warning("prune-failed",
                        "the backup is committed, but pruning failed: " + pruned.error().message);
            result.prune_error = std::move(pruned).error();
        }
    }
    // Under the lock, so the head remembered is exactly the chain this job extended.
    if (Status remembered =
            vault::remember_history(session.vault, session.state_dir, session.history, clock.now());
        !remembered) {
        log.warning("seen-not-remembered",
                    "the audit head was not remembered for rollback detection: " +
                        remembered.error().message);
    }
    if (Status released = session.lock.release(); !released)
        log.warning("lock-release", "releasing the writer lock: " + released.error().message);
    return result;
}

// The reminder of the file the bridge just wrote. ENTSSO refusing to read it (10564 bad format,
// 10784 cannot open) means the bridge's success was false: a bridge failure, not an ENTSSO state
// the operator has to fix.
Result<std::string> reminder_of_written_file(const bridge::BridgeClient& client,
                                             const fs::path& bak_file) {
    auto reminder = client.reminder(bak_file);
    if (!reminder && reminder.error().code == Errc::entsso_error) {
        return make_error(Errc::bridge_failed,
                          "the bridge reported success, but ENTSSO cannot read the backup file "
                          "it wrote: " +
                              reminder.error().message,
                          "nothing was committed; check the bridge and the ENTSSO event log "
                          "(10560), free space on the scratch disk, then run the job again");
    }
    return reminder;
}

Error not_escrowed(Error error, const std::string& msid, const BackupJobOptions& options) {
    error.message = "a new master secret (MSID " + msid +
                    ") was generated but is NOT escrowed: " + error.message;
    error.hint = "run 'ssoescrow backup --vault " +
                 platform::path_to_utf8(options.vault.vault_dir) +
                 " --bridge ...' on this computer now: until it succeeds, losing this server "
                 "loses every credential BizTalk stores" +
                 (error.hint.empty() ? std::string() : "; " + error.hint);
    return error;
}

// With --skip-on-passive-node: the skip of a node that does not own the SSO cluster group.
std::optional<JobResult> passive_node_skip(JobKind kind, const BackupJobOptions& options,
                                           const bridge::ServerStatus& status, JobLog& log) {
    if (!options.skip_on_passive_node || status.is_secret_server || !status.cluster ||
        topology::same_machine(status.cluster->owner_node, status.cluster->node)) {
        return std::nullopt;
    }
    JobResult skipped;
    skipped.kind = kind;
    skipped.skipped_reason = "this computer (" + status.cluster->node +
                             ") is a passive node of cluster " + status.cluster->name +
                             "; the SSO group " + status.cluster->group + " is owned by " +
                             status.cluster->owner_node;
    log.info("skipped", *skipped.skipped_reason);
    return skipped;
}

// Steps 3..6 and then seal_and_commit, with the scratch directory alive throughout.
Result<JobResult> backup_through_bridge(JobKind kind, const BackupJobOptions& options,
                                        InterruptCleanup& interrupt_cleanup, WriterSession& session,
                                        const bridge::BridgeClient& client, JobLog& log,
                                        vault::Clock& clock) {
    TRY_ASSIGN(const bridge::ServerStatus status, client.status());
    log.debug(
        "bridge-status",
        "bridge status: computer " + status.computer + ", secret server " + status.secret_server,
        {{"computer", status.computer}, {"secret-server", status.secret_server}});
    if (!status.is_secret_server) {
        if (auto skipped = passive_node_skip(kind, options, status, log))
            return std::move(*skipped);
        return bridge::entsso_error(bridge::k_entsso_not_secret_server,
                                    "this computer is " + status.computer, status.secret_server);
    }

    TRY_ASSIGN(const fs::path parent, scratch_parent(options.temp_parent));
    TRY_ASSIGN(ScratchDir scratch, ScratchDir::create(parent));
    // After create(), which vetted the parent: our own directory carries a live pid and stays.
    const ScratchCleanup cleanup = remove_abandoned_scratch_dirs(parent);
    if (cleanup.removed > 0) {
        log.warning("scratch-cleanup", "removed " + std::to_string(cleanup.removed) +
                                           " scratch director(y/ies) of interrupted runs in " +
                                           platform::path_to_utf8(parent));
    }
    for (const std::string& left : cleanup.skipped)
        log.warning("scratch-cleanup", left);
    TRY(interrupt_cleanup.watch_directory(scratch.dir()));

    const vault::BackupId backup_id = vault::new_backup_id();
    const std::string id_hex = vault::backup_id_hex(backup_id);
    const std::string reminder = backup_reminder(id_hex, session.vault.vault_id());
    SecretBytes password = generate_backup_password();
    const fs::path bak_file = scratch.dir() / ("ssoescrow-" + id_hex + ".bak");

    TRY(session.lock.refresh_if_due());
    log.info(kind == JobKind::rotate ? "bridge-generate" : "bridge-backup",
             kind == JobKind::rotate ? "generating a new master secret on " + status.computer
                                     : "backing up the master secret of " + status.computer,
             {{"backup", id_hex}});
    TRY_ASSIGN(const bridge::Msids msids, kind == JobKind::rotate
                                              ? client.generate(bak_file, password, reminder)
                                              : client.backup(bak_file, password, reminder));
    platform::test_hooks::crash_point("job-after-bridge");

    auto escrow = [&]() -> Result<JobResult> {
        log.info("bridge-done",
                 "ENTSSO wrote the backup: current MSID " + msids.current_msid + ", previous " +
                     msids.previous_msid.value_or("none"),
                 {{"current-msid", msids.current_msid},
                  {"previous-msid", msids.previous_msid.value_or("")}});
        if (kind == JobKind::backup && status.current_msid &&
            *status.current_msid != msids.current_msid) {
            log.warning("msid-changed", "the current MSID changed during the backup (" +
                                            *status.current_msid + " -> " + msids.current_msid +
                                            "): the backup holds the newer one");
        }
        TRY(session.lock.refresh_if_due());
        TRY_ASSIGN(SecretBytes bak, read_bak(bak_file, true));
        TRY_ASSIGN(const std::string read_back, reminder_of_written_file(client, bak_file));
        if (read_back != reminder) {
            return make_error(Errc::bridge_failed,
                              "the backup file's reminder is not the one just set: " +
                                  platform::path_to_utf8(bak_file) +
                                  " is not the backup the bridge just wrote",
                              "check the bridge; nothing was committed");
        }
        vault::Bundle bundle;
        bundle.bak_sha256 = sha256_of(bak);
        bundle.bak = std::move(bak);
        bundle.password = std::move(password);
        bundle.reminder = reminder;
        vault::SourceInfo source;
        source.computer = status.computer;
        source.secret_server = status.secret_server;
        source.current_msid = msids.current_msid;
        source.previous_msid = msids.previous_msid.value_or("");
        source.label = options.vault.label;
        return seal_and_commit(kind, session, backup_id, std::move(source), std::move(bundle),
                               options.vault, log, clock, &scratch);
    };
    auto escrowed = escrow();
    if (!escrowed && kind == JobKind::rotate)
        return not_escrowed(std::move(escrowed).error(), msids.current_msid, options);
    return escrowed;
}

// When the imported .bak was made: --created, else its modification time. A time after now (plus
// the clock tolerance) is refused: an import must never look fresher than it is.
Result<std::int64_t> bak_created_time(const ImportOptions& options, std::int64_t now, JobLog& log) {
    std::int64_t created = 0;
    std::string from;
    if (options.created) {
        created = *options.created;
        from = "--created";
    } else {
        TRY_ASSIGN(const platform::FileStatus status, platform::file_status(options.bak_file));
        if (status.kind != platform::FileKind::regular) {
            return make_error(Errc::usage,
                              platform::path_to_utf8(options.bak_file) +
                                  " is not a regular file: its modification time cannot say "
                                  "when the backup was made",
                              "give --created YYYY-MM-DDTHH:MM:SSZ (when ssoconfig "
                              "-backupSecret wrote it)");
        }
        created =
            std::chrono::duration_cast<std::chrono::seconds>(status.last_write.time_since_epoch())
                .count();
        from = "the file's modification time";
    }
    if (created > now + vault::k_future_tolerance_seconds) {
        return make_error(Errc::usage,
                          "the backup file's creation time " + vault::format_time(created) + " (" +
                              from + ") is in the future of this computer's clock",
                          "give --created with the time ssoconfig -backupSecret wrote the file");
    }
    if (created < 0 || created > vault::k_max_time) {
        return make_error(Errc::usage,
                          "the backup file's creation time (" + from + ") is out of range",
                          "give --created YYYY-MM-DDTHH:MM:SSZ");
    }
    created = std::min(created, now);
    log.info("bak-created", "the backup file was made " + vault::format_time(created) + " (" +
                                from + "); backup-age counts from then");
    return created;
}

Status check_msid_option(const std::string& value, std::string_view option) {
    if (value.empty() || bridge::is_msid(value))
        return {};
    return make_error(Errc::usage, std::string(option) + ": '" + value +
                                       "' is not an MSID (a GUID such as "
                                       "{0A1B2C3D-4E5F-6789-ABCD-EF0123456789})");
}

}  // namespace

Result<JobResult> run_backup_job(JobKind kind, const BackupJobOptions& options, JobLog& log,
                                 vault::Clock& clock) {
    if (kind == JobKind::import)
        return make_error(Errc::internal, "run_backup_job: import has its own entry point");
    TRY_ASSIGN(
        const bridge::BridgeClient client,
        bridge::BridgeClient::from_command_line(options.bridge.command, options.bridge.timeout));
    // Armed before the first bridge call: an interrupt at any point kills the bridge with us.
    TRY_ASSIGN(InterruptCleanup interrupt_cleanup, InterruptCleanup::install());
    if (options.skip_on_passive_node) {
        // Asked before the lock: every node of the cluster runs the same task at the same
        // minute, and a passive node holding the lock for its bridge call would make the active
        // node's backup fail with "locked". The answer is checked again under the lock.
        TRY_ASSIGN(const bridge::ServerStatus early, client.status());
        if (auto skipped = passive_node_skip(kind, options, early, log))
            return std::move(*skipped);
    }
    TRY_ASSIGN(WriterSession session,
               open_for_writing(kind, options.vault, options.bridge, log, clock));
    return backup_through_bridge(kind, options, interrupt_cleanup, session, client, log, clock);
}

Result<JobResult> run_import(const ImportOptions& options, const SecretBytes& password, JobLog& log,
                             vault::Clock& clock) {
    TRY(check_msid_option(options.current_msid, "--current-msid"));
    TRY(check_msid_option(options.previous_msid, "--previous-msid"));
    if (password.size() < 7 || password.size() > 256) {
        return make_error(Errc::limit_exceeded,
                          "the password of " + platform::path_to_utf8(options.bak_file) + " has " +
                              std::to_string(password.size()) +
                              " characters; ENTSSO passwords have 7 to 256",
                          "give the password typed when the backup was made (a trailing newline "
                          "in a password file is removed)");
    }
    TRY_ASSIGN(InterruptCleanup interrupt_cleanup, InterruptCleanup::install());
    std::optional<bridge::BridgeClient> client;
    if (!options.bridge.command.empty()) {
        TRY_ASSIGN(client, bridge::BridgeClient::from_command_line(options.bridge.command,
                                                                   options.bridge.timeout));
    }
    TRY_ASSIGN(SecretBytes bak, read_bak(options.bak_file, false));
    TRY_ASSIGN(const std::int64_t created, bak_created_time(options, clock.now(), log));
    std::string reminder;
    if (client) {
        TRY_ASSIGN(reminder, client->reminder(options.bak_file));
        log.info("bridge-reminder", "ENTSSO reads the file; its reminder is recorded");
    } else {
        log.warning("no-bridge",
                    "no --bridge: the file is not checked by ENTSSO; run a restore "
                    "drill soon to prove the file (only a restore proves its password)");
    }
    TRY_ASSIGN(WriterSession session,
               open_for_writing(JobKind::import, options.vault, options.bridge, log, clock));

    vault::Bundle bundle;
    bundle.bak_sha256 = sha256_of(bak);
    bundle.bak = std::move(bak);
    bundle.password = password.clone();
    bundle.reminder = std::move(reminder);
    vault::SourceInfo source;
    source.computer = options.computer.empty() ? std::string(k_unknown_msid) : options.computer;
    source.secret_server =
        options.secret_server.empty() ? std::string(k_unknown_msid) : options.secret_server;
    source.current_msid =
        options.current_msid.empty() ? std::string(k_unknown_msid) : options.current_msid;
    source.previous_msid =
        options.previous_msid.empty() ? std::string(k_unknown_msid) : options.previous_msid;
    source.label = options.vault.label;
    TRY(source.validate());
    log.warning("password-unproven",
                "the password was typed: the backup counts as unproven until a restore has "
                "used it (a drill on a drill server, or a restore); 'status' warns until then");
    return seal_and_commit(JobKind::import, session, vault::new_backup_id(), std::move(source),
                           std::move(bundle), options.vault, log, clock, nullptr, created);
}

}  // namespace ssoescrow::backup
