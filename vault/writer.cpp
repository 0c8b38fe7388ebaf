#include "vault/writer.hpp"

#include <string>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "vault/audit_log.hpp"
#include "vault/host_state.hpp"
#include "vault/rekey_pending.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::vault {

namespace {

std::string record_name(const ChainRecord& r) {
    return "record " + std::to_string(r.record.seq) + ", " +
           std::string(audit_type_name(r.record.type));
}

std::string check_command(const Vault& vault) {
    return "'ssoescrow vault check --vault " + platform::path_to_utf8(vault.dir()) + "'";
}

}  // namespace

bool records_config(AuditType type) noexcept {
    return type == AuditType::vault_init || type == AuditType::policy_change ||
           type == AuditType::config_change;
}

std::string_view recorded_config_hash(const AuditRecord& record) {
    return record.type == AuditType::vault_init ? record.field("config")
                                                : record.field("new-config");
}

std::vector<const ChainRecord*> config_changes_of_policy(const AuditChain& chain) {
    std::vector<const ChainRecord*> out;
    std::string_view policy;
    for (const ChainRecord& r : chain.records) {
        if (!records_config(r.record.type))
            continue;
        if (r.record.type == AuditType::config_change && r.record.field("policy") != policy)
            out.push_back(&r);
        policy = r.record.field("policy");
    }
    return out;
}

RecordedPolicy recorded_policy(const AuditChain& chain) {
    RecordedPolicy out;
    for (auto it = chain.records.rbegin(); it != chain.records.rend(); ++it) {
        const AuditRecord& r = it->record;
        if (!records_config(r.type))
            continue;
        out.record = &*it;
        out.policy = std::string(r.field("policy"));
        out.config = std::string(recorded_config_hash(r));
        break;
    }
    return out;
}

Status check_config_recorded(const Vault& vault, const AuditChain& chain) {
    const std::string dir = platform::path_to_utf8(vault.dir());
    const RecordedPolicy recorded = recorded_policy(chain);
    if (recorded.record == nullptr) {
        return make_error(Errc::vault_damaged,
                          "the audit log of " + dir +
                              " records no escrow policy (no vault-init "
                              "record); refusing to write to the vault",
                          "run " + check_command(vault));
    }
    if (const auto forged = config_changes_of_policy(chain); !forged.empty()) {
        return make_error(Errc::vault_damaged,
                          "the audit log of " + dir +
                              " holds a settings change that changes the "
                              "escrow policy (" +
                              record_name(*forged.front()) +
                              "), which 'vault config set' never writes; refusing to write to "
                              "the vault",
                          "treat the vault as tampered with; run " + check_command(vault));
    }
    const std::string actual = vault.config().escrow.fingerprint();
    const AuditRecord& r = recorded.record->record;
    const bool interrupted_change =
        (r.type == AuditType::policy_change || r.type == AuditType::config_change) &&
        r.field("old-config") == vault.config_hash();
    if (interrupted_change && r.type == AuditType::config_change) {
        // The record holds every changed setting, so the change can be finished from it.
        return make_error(Errc::vault_damaged,
                          "a change of the settings of " + dir + " (" +
                              record_name(*recorded.record) +
                              ") was interrupted: the config is still the old one; refusing to "
                              "write to the vault",
                          "finish it with 'ssoescrow vault config set --vault " + dir +
                              "' (no settings), then run this again");
    }
    if (actual != recorded.policy) {
        if (interrupted_change) {
            return make_error(
                Errc::vault_damaged,
                "the config of " + dir + " holds escrow policy " + actual +
                    ", but the audit log records a change to " + recorded.policy + " (" +
                    record_name(*recorded.record) +
                    ") that was interrupted; refusing to write to the vault",
                "finish or undo the policy change first; run " + check_command(vault));
        }
        return make_error(
            Errc::vault_damaged,
            "the escrow policy in the config of " + dir + " is " + actual +
                ", but the audit log records " + recorded.policy + " (" +
                record_name(*recorded.record) +
                "): the config was replaced outside ssoescrow; refusing to write to the vault",
            "treat the vault as tampered with: nothing was sealed to the new custodians; put back "
            "the config recorded in the audit log (SHA-256 " +
                recorded.config + ") from a copy of the vault, and run " + check_command(vault));
    }
    if (vault.config_hash() != recorded.config) {
        return make_error(Errc::vault_damaged,
                          "the config of " + dir + " (SHA-256 " + vault.config_hash() +
                              ") is not the one the audit log records (" + recorded.config + ", " +
                              record_name(*recorded.record) +
                              "): it was changed outside ssoescrow; refusing to write to the vault",
                          "put back the recorded config from a copy of the vault, and run " +
                              check_command(vault));
    }
    return {};
}

Status check_not_rolled_back(const Vault& vault, const AuditChain& chain,
                             const std::filesystem::path& state_dir) {
    const std::string dir = platform::path_to_utf8(vault.dir());
    auto seen = read_seen_state(state_dir);
    if (!seen) {
        Error error = std::move(seen).error();
        error.message = "this host's rollback witness cannot be read: " + error.message;
        if (error.hint.empty()) {
            error.hint = "it is " + platform::path_to_utf8(state_dir / k_seen_file) +
                         "; repair or remove it (then the next write starts a new witness), "
                         "after " +
                         check_command(vault) + " from a host whose witness is intact";
        }
        return error;
    }
    if (!*seen)
        return {};  // the first write from this host: nothing to compare with yet
    const Findings findings = compare_with_seen(chain, **seen);
    if (findings.empty())
        return {};
    const Finding& finding = findings.front();
    std::string hint;
    if (finding.code == "seen-state-other-vault") {
        hint = "check --state-dir: " + platform::path_to_utf8(state_dir) +
               " holds the state of another vault";
    } else {
        hint =
            "nothing was written; put back the newest copy of the vault (an off-site or backup "
            "copy) and check it with " +
            check_command(vault) +
            "; if you restored an older copy on purpose, accept its history with 'ssoescrow "
            "vault accept-rollback --vault " +
            dir + " --reason TEXT' (audit-logged)";
    }
    return make_error(
        Errc::vault_damaged,
        "refusing to write to vault " + dir + " (" + finding.code + "): " + finding.message,
        std::move(hint));
}

Result<AuditChain> verify_history_for_writing(const Vault& vault,
                                              const std::filesystem::path& state_dir) {
    TRY_ASSIGN(AuditChain chain, read_audit_chain(vault.dir(), vault.vault_id()));
    if (!chain.intact()) {
        std::string what;
        for (const Finding& f : chain.findings) {
            if (f.severity == Severity::damaged) {
                what = " (" + f.code + ": " + f.file + ")";
                break;
            }
        }
        return make_error(Errc::vault_damaged,
                          "the audit log of " + platform::path_to_utf8(vault.dir()) +
                              " is damaged" + what + "; refusing to write to the vault",
                          "run " + check_command(vault) + " to see what is wrong");
    }
    TRY(check_config_recorded(vault, chain));
    TRY(check_not_rolled_back(vault, chain, state_dir));
    return chain;
}

Status audit_lock_takeover(const Vault& vault, const BrokenLock& broken, std::string_view taker,
                           UnixTime now) {
    TRY_ASSIGN(AuditChain chain, read_audit_chain(vault.dir(), vault.vault_id()));
    AuditRecord record;
    record.type = AuditType::lock_override;
    record.time = now;
    record.actor = current_actor();
    const LockInfo& info = broken.previous.info;
    record.fields.push_back({"holder-host", info.host.empty() ? "unknown" : info.host});
    record.fields.push_back({"holder-pid", std::to_string(info.pid)});
    record.fields.push_back({"holder-started", format_time(info.started)});
    const std::string by = " taken over by " + std::string(taker);
    const std::string reason = broken.malformed ? "malformed lock file removed"
                               : broken.forced  ? "live lock removed by force"
                               : broken.previous.state == LockState::stale_dead
                                   ? "stale lock of a dead process" + by
                                   : "expired lock" + by;
    record.fields.push_back({"reason", reason});
    TRY(append_audit_record(vault.dir(), chain, std::move(record)));
    return {};
}

Result<WriterLock> acquire_writer_lock(const Vault& vault, const LockOptions& options,
                                       const WriterContext& context) {
    TRY_ASSIGN(const std::filesystem::path state_dir,
               state_dir_for(context.state_root, vault.vault_id()));
    TRY_ASSIGN(WriterLock lock, WriterLock::acquire(vault.dir(), options));
    TRY(settle_pending_rekey(vault.dir(), vault.vault_id()));
    // Under the lock, so nothing changes between the check and our writes (short of someone
    // writing the vault without the lock, which the chain's own checks catch at the next read).
    TRY(verify_history_for_writing(vault, state_dir));
    if (lock.taken_over()) {
        Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
        TRY(audit_lock_takeover(vault, *lock.taken_over(), options.operation, clock.now()));
    }
    return lock;
}

Result<LockedVault> open_and_lock_for_writing(const std::filesystem::path& vault_dir,
                                              const LockOptions& options,
                                              const WriterContext& context) {
    TRY_ASSIGN(const Vault before, Vault::open(vault_dir));
    TRY_ASSIGN(const std::filesystem::path state_dir,
               state_dir_for(context.state_root, before.vault_id()));
    TRY_ASSIGN(WriterLock lock, WriterLock::acquire(vault_dir, options));
    TRY(settle_pending_rekey(vault_dir, before.vault_id()));
    TRY_ASSIGN(Vault opened, Vault::open(vault_dir));
    TRY(verify_history_for_writing(opened, state_dir));
    if (lock.taken_over()) {
        Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
        TRY(audit_lock_takeover(opened, *lock.taken_over(), options.operation, clock.now()));
    }
    return LockedVault{std::move(opened), std::move(lock)};
}

Status check_vault_writable(const Vault& vault) {
    TRY(platform::probe_directory_writable(vault.envelopes_dir(), k_writable_probe_size));
    TRY(platform::probe_directory_writable(vault.audit_dir(), k_writable_probe_size));
    return {};
}

}  // namespace ssoescrow::vault
