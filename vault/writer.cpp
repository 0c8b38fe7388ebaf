#include "vault/writer.hpp"

#include <string>

#include "vault/audit_log.hpp"
#include "platform/file_io.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::vault {

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

Result<WriterLock> acquire_writer_lock(const Vault& vault, const LockOptions& options) {
    TRY_ASSIGN(WriterLock lock, WriterLock::acquire(vault.dir(), options));
    if (lock.taken_over()) {
        Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
        TRY(audit_lock_takeover(vault, *lock.taken_over(), options.operation, clock.now()));
    }
    return lock;
}

Status check_vault_writable(const Vault& vault) {
    TRY(platform::probe_directory_writable(vault.envelopes_dir(), k_writable_probe_size));
    TRY(platform::probe_directory_writable(vault.audit_dir(), k_writable_probe_size));
    return {};
}

}  // namespace ssoescrow::vault
