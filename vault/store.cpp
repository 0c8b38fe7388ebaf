#include "vault/store.hpp"

#include "crypto/hash.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/test_hooks.hpp"
#include "vault/envelope.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::vault {

Result<StoredBackup> store_envelope(const Vault& vault, WriterLock& lock, VerifiedHistory& history,
                                    ByteView envelope, AuditType type, UnixTime now,
                                    const crypto::SigningKey& signer, std::string actor) {
    if (type != AuditType::backup && type != AuditType::rotate && type != AuditType::import) {
        return make_error(Errc::internal, "store_envelope: not a sealing record type");
    }
    TRY_ASSIGN(const EnvelopeHeader header, parse_envelope_header(envelope));
    const std::string expected = vault.config().escrow.fingerprint();
    if (header.policy_fingerprint != expected) {
        return make_error(Errc::policy_mismatch, "the envelope is sealed to policy " +
                                                     header.policy_fingerprint +
                                                     ", not to the vault's policy " + expected);
    }
    if (header.vault_id_hex() != vault.vault_id()) {
        return make_error(Errc::policy_mismatch, "the envelope is sealed for vault " +
                                                     header.vault_id_hex() + ", not for " +
                                                     vault.vault_id());
    }
    TRY(check_envelope_policy(header, vault.config().escrow));
    TRY(check_envelope_signature(header, envelope));
    const AuditChain& chain = history.chain;
    if (!chain.intact() || chain.records.empty()) {
        return make_error(
            Errc::vault_damaged,
            "the audit log of " + platform::path_to_utf8(vault.dir()) +
                " is damaged; refusing to add a backup to it",
            "run 'ssoescrow vault check --vault " + platform::path_to_utf8(vault.dir()) + "'");
    }

    StoredBackup stored;
    stored.backup_id = backup_id_hex(header.backup_id);
    stored.path = Vault::envelope_relative_path(header.backup_id);
    stored.envelope_hash = to_hex(crypto::sha256(envelope));

    AuditRecord record;
    record.type = type;
    record.time = now;
    record.actor = actor.empty() ? current_actor() : std::move(actor);
    record.fields.push_back({"backup", stored.backup_id});
    record.fields.push_back({"envelope", stored.envelope_hash});
    record.fields.push_back({"created", format_time(header.created)});
    record.fields.push_back({"computer", header.source.computer});
    record.fields.push_back({"current-msid", header.source.current_msid});
    if (!header.source.previous_msid.empty()) {
        record.fields.push_back({"previous-msid", header.source.previous_msid});
    }
    if (!header.source.label.empty())
        record.fields.push_back({"label", header.source.label});
    record.fields.push_back({"policy", header.policy_fingerprint});
    // Validate the record before the envelope is written, so a record that could not be
    // appended never leaves an orphan behind.
    {
        AuditRecord probe = record;
        probe.seq = chain.head_seq() + 1;
        probe.prev = chain.head_hash();
        probe.vault_id = vault.vault_id();
        TRY(sign_audit_record(probe, signer));
        TRY(probe.validate());
    }

    TRY(lock.refresh_if_due());
    TRY(platform::write_file_durably(vault.dir() / stored.path, envelope, platform::Overwrite::no,
                                     platform::FinalMode::read_only));
    platform::test_hooks::crash_point("store-after-envelope");

    TRY(lock.check_still_held());
    TRY_ASSIGN(const ChainRecord appended,
               append_to_history(vault, history, std::move(record), &signer));
    platform::test_hooks::crash_point("store-after-record");
    add_verified_backup(history, appended);
    stored.audit_seq = appended.record.seq;
    return stored;
}

}  // namespace ssoescrow::vault
