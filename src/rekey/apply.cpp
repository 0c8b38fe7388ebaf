#include "src/rekey/apply.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "crypto/hash.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/test_hooks.hpp"
#include "vault/catalog.hpp"
#include "vault/config.hpp"
#include "vault/host_state.hpp"
#include "vault/rekey_pending.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::rekey {

namespace fs = std::filesystem;

namespace {

vault::Clock& clock_of(const vault::LockOptions& lock) {
    return lock.clock != nullptr ? *lock.clock : vault::system_clock();
}

std::string dir_text(const fs::path& dir) {
    return platform::path_to_utf8(dir);
}

std::string check_hint(const fs::path& dir) {
    return "run 'ssoescrow vault check --vault " + dir_text(dir) + "'";
}

fs::path pending_dir(const fs::path& vault_dir) {
    return vault_dir / vault::k_rekey_dir;
}

fs::path pending_envelope(const fs::path& vault_dir, std::string_view backup_id) {
    return pending_dir(vault_dir) / platform::path_from_utf8(std::string(backup_id) + ".envelope");
}

fs::path vault_envelope(const fs::path& vault_dir, std::string_view backup_id) {
    return vault_dir / vault::k_envelopes_dir /
           platform::path_from_utf8(std::string(backup_id) + ".envelope");
}

std::string sha256_hex(ByteView bytes) {
    return to_hex(crypto::sha256(bytes));
}

Status check_signer_of(const vault::EscrowPolicy& policy, const crypto::SigningKey& signer) {
    if (policy.find_signer(signer.signer.fingerprint()) != nullptr)
        return {};
    return make_error(Errc::precondition,
                      "the signing key " + signer.signer.describe() +
                          " is not a signer of the new policy " + policy.fingerprint() +
                          ": it cannot sign the new envelopes and their records",
                      "give a signing key the new policy lists (--signing-key FILE, or the "
                      "--state-dir of that host)");
}

// Step 2: the request must move the vault's current policy, and never a second time.
Status check_not_stale(const RekeyRequest& request, const vault::Vault& opened,
                       const vault::AuditChain& chain) {
    const std::string id = restore::request_id_hex(request.id);
    const std::string current = opened.config().escrow.fingerprint();
    for (const vault::ChainRecord& r : chain.records) {
        if (r.record.type != vault::AuditType::policy_change || r.record.field("rekey") != id)
            continue;
        if (current == request.new_policy_fingerprint() && r.record.field("policy") == current) {
            return make_error(Errc::precondition,
                              "rekey request " + id + " was already applied (audit record " +
                                  std::to_string(r.record.seq) + "): the vault's policy is " +
                                  current,
                              "nothing to do; 'ssoescrow vault list' shows the rekeyed backups");
        }
        return make_error(Errc::precondition,
                          "rekey request " + id + " was used before (audit record " +
                              std::to_string(r.record.seq) +
                              "): a ceremony's nonce serves once (a replay)",
                          "make a new request with 'ssoescrow rekey request'");
    }
    if (current != request.old_policy) {
        return make_error(Errc::precondition,
                          "a stale ceremony: rekey request " + id + " moves policy " +
                              request.old_policy + ", but the policy of vault " +
                              dir_text(opened.dir()) + " is now " + current +
                              " (another rekey happened since)",
                          "make a new request with 'ssoescrow rekey request' and ask the "
                          "custodians of the current policy");
    }
    return {};
}

vault::AuditRecord rekey_record(const vault::EnvelopeHeader& header, const std::string& envelope,
                                const std::string& old_backup, vault::UnixTime now) {
    vault::AuditRecord record;
    record.type = vault::AuditType::rekey;
    record.time = now;
    record.actor = vault::current_actor();
    record.fields.push_back({"backup", vault::backup_id_hex(header.backup_id)});
    record.fields.push_back({"envelope", envelope});
    record.fields.push_back({"created", vault::format_time(header.created)});
    record.fields.push_back({"computer", header.source.computer});
    record.fields.push_back({"current-msid", header.source.current_msid});
    if (!header.source.previous_msid.empty())
        record.fields.push_back({"previous-msid", header.source.previous_msid});
    if (!header.source.label.empty())
        record.fields.push_back({"label", header.source.label});
    record.fields.push_back({"policy", header.policy_fingerprint});
    record.fields.push_back({"old-backup", old_backup});
    return record;
}

bool has_record(const vault::AuditChain& chain, vault::AuditType type, std::string_view backup) {
    return std::any_of(chain.records.begin(), chain.records.end(), [&](const auto& r) {
        return r.record.type == type && r.record.field("backup") == backup;
    });
}

// A ceremony prepared with --verify-custodians that is still waiting for the new custodians.
Error awaiting_proof_error(const fs::path& dir, const vault::RekeyAwaitingProof& awaiting,
                           const std::string& consequence) {
    return make_error(Errc::precondition,
                      "the rekey of request " + awaiting.request + " in " + dir_text(dir) +
                          " awaits proof from the new custodians until " +
                          vault::format_time(awaiting.expires) + ": " + consequence,
                      "commit it with 'ssoescrow rekey apply REQUEST --vault " + dir_text(dir) +
                          " --proof NAME.rkproof ...' once the new custodians ran 'ssoescrow "
                          "rekey prove', or remove it with 'ssoescrow rekey abandon --vault " +
                          dir_text(dir) + "'");
}

// The config step of the finish: the old config is replaced by rekey/config (checked against the
// manifest first); a config already replaced is left alone.
Status replace_config(const fs::path& dir, const vault::Vault& opened,
                      const vault::RekeyManifest& manifest) {
    if (opened.config_hash() == manifest.new_config)
        return {};
    if (opened.config_hash() != manifest.old_config) {
        return make_error(Errc::vault_damaged,
                          "the config of " + dir_text(dir) +
                              " is neither the one before the rekey nor the one after it; the "
                              "rekey is not finished",
                          check_hint(dir));
    }
    TRY_ASSIGN(const Bytes bytes, platform::read_file(pending_dir(dir) / vault::k_rekey_config_file,
                                                      vault::k_max_config_size));
    if (sha256_hex(bytes) != manifest.new_config) {
        return make_error(Errc::vault_damaged,
                          "rekey/config of " + dir_text(dir) +
                              " is not the config the rekey committed; the rekey is not finished",
                          check_hint(dir));
    }
    TRY(platform::write_file_durably(opened.config_path(), bytes, platform::Overwrite::yes,
                                     platform::FinalMode::read_only));
    platform::test_hooks::crash_point("rekey-after-config");
    return {};
}

// One backup of the finish: the new envelope in envelopes/, its rekey record, the old backup's
// prune record, the old envelope removed. Each step is skipped when already done.
Status finish_backup(const fs::path& dir, vault::AuditChain& chain,
                     const vault::RekeyManifestLine& line, const crypto::SigningKey& signer,
                     vault::UnixTime now) {
    const fs::path target = vault_envelope(dir, line.new_backup);
    Bytes envelope;
    if (platform::exists_no_follow(target)) {
        TRY_ASSIGN(envelope, platform::read_file(target, vault::k_max_envelope_file_size));
    } else {
        TRY_ASSIGN(envelope, platform::read_file(pending_envelope(dir, line.new_backup),
                                                 vault::k_max_envelope_file_size));
    }
    if (sha256_hex(envelope) != line.new_envelope) {
        return make_error(Errc::vault_damaged,
                          "the new envelope of backup " + line.new_backup +
                              " is not the one the rekey committed; the rekey is not finished",
                          check_hint(dir));
    }
    if (!platform::exists_no_follow(target)) {
        TRY(platform::write_file_durably(target, envelope, platform::Overwrite::no,
                                         platform::FinalMode::read_only));
        platform::test_hooks::crash_point("rekey-after-link");
    }
    if (!has_record(chain, vault::AuditType::rekey, line.new_backup)) {
        TRY_ASSIGN(const vault::EnvelopeHeader header, vault::parse_envelope_header(envelope));
        TRY(vault::append_audit_record(
            dir, chain, rekey_record(header, line.new_envelope, line.old_backup, now), &signer));
        platform::test_hooks::crash_point("rekey-after-record");
    }
    if (!has_record(chain, vault::AuditType::prune, line.old_backup)) {
        vault::AuditRecord prune;
        prune.type = vault::AuditType::prune;
        prune.time = now;
        prune.actor = vault::current_actor();
        prune.fields.push_back({"backup", line.old_backup});
        prune.fields.push_back({"envelope", line.old_envelope});
        prune.fields.push_back({"reason", "rekeyed to " + line.new_backup});
        TRY(vault::append_audit_record(dir, chain, std::move(prune)));
        platform::test_hooks::crash_point("rekey-after-prune-record");
    }
    const fs::path old = vault_envelope(dir, line.old_backup);
    if (platform::exists_no_follow(old)) {
        TRY(platform::remove_file_durably(old));
        platform::test_hooks::crash_point("rekey-after-unlink");
    }
    return {};
}

// The finish under a lock the caller holds (FORMAT.md 4.10).
Result<FinishOutcome> finish_locked(const fs::path& dir, vault::WriterLock& lock,
                                    const crypto::SigningKey& signer, vault::Clock& clock) {
    FinishOutcome outcome;
    TRY_ASSIGN(const vault::Vault before, vault::Vault::open(dir));
    TRY_ASSIGN(vault::AuditChain chain, vault::read_audit_chain(dir, before.vault_id()));
    if (!chain.intact()) {
        return make_error(
            Errc::vault_damaged,
            "the audit log of " + dir_text(dir) + " is damaged; the rekey is not finished",
            check_hint(dir));
    }
    TRY_ASSIGN(const vault::PendingRekey pending, vault::read_pending_rekey(dir, chain));
    if (pending.state == vault::PendingRekeyState::none)
        return outcome;
    if (pending.state == vault::PendingRekeyState::awaiting_proof && !pending.expired(clock.now()))
        return awaiting_proof_error(dir, *pending.awaiting, "nothing to finish");
    if (pending.state != vault::PendingRekeyState::committed) {
        TRY(lock.check_still_held());
        TRY(vault::remove_pending_rekey(dir));
        outcome.rolled_back = true;
        return outcome;
    }
    const vault::RekeyManifest& manifest = *pending.manifest;
    outcome.request = manifest.request;
    outcome.new_policy = manifest.new_policy;
    TRY(lock.check_still_held());
    TRY(replace_config(dir, before, manifest));
    TRY_ASSIGN(const vault::Vault opened, vault::Vault::open(dir));
    TRY(check_signer_of(opened.config().escrow, signer));
    for (const vault::RekeyManifestLine& line : manifest.backups) {
        TRY(lock.refresh_if_due());
        TRY(finish_backup(dir, chain, line, signer, clock.now()));
        outcome.backups.push_back({line.old_backup, line.new_backup});
    }
    platform::test_hooks::crash_point("rekey-before-cleanup");
    TRY(lock.check_still_held());
    TRY(vault::remove_pending_rekey(dir));
    return outcome;
}

// Step 4's other half: the verified backups a ceremony does not cover (`ids`) are named in
// `outcome`, and refused unless --leave-uncovered.
Status note_uncovered(const vault::Catalog& catalog, const std::set<std::string>& ids,
                      bool leave_uncovered, ApplyOutcome& outcome, const std::string& refusal,
                      const std::string& why, const std::string& hint) {
    for (const vault::CatalogEntry& e : catalog.entries) {
        if (e.usable() && ids.count(e.backup_id) == 0)
            outcome.left_uncovered.push_back(e.backup_id);
    }
    if (outcome.left_uncovered.empty() || leave_uncovered)
        return {};
    std::string names;
    for (const std::string& id : outcome.left_uncovered)
        names += (names.empty() ? "" : ", ") + id;
    return make_error(Errc::precondition, refusal + names + why, hint);
}

struct Covered {
    std::size_t index = 0;  // into request.headers
    const vault::CatalogEntry* entry = nullptr;
};

// Step 4 under the lock: which covered backups are still verified, and which verified backups
// the request does not cover.
Result<std::vector<Covered>> covered_backups(const RekeyRequest& request,
                                             const vault::Catalog& catalog, bool leave_uncovered,
                                             ApplyOutcome& outcome) {
    std::vector<Covered> out;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < request.headers.size(); ++i) {
        const std::string id = vault::backup_id_hex(request.headers[i].backup_id);
        ids.insert(id);
        const vault::CatalogEntry* entry = catalog.find(id);
        if (entry == nullptr || !entry->usable()) {
            outcome.skipped.push_back(id);
            continue;
        }
        out.push_back({i, entry});
    }
    TRY(note_uncovered(catalog, ids, leave_uncovered, outcome,
                       "the rekey request does not cover verified backup(s) ",
                       " (sealed after the request was made); nothing was changed",
                       "make a new request that covers them, or give --leave-uncovered to leave "
                       "them sealed to the old policy until a second ceremony or a prune"));
    // In the catalog's order (creation time, then audit order): the rekey records keep the
    // backups' order, so "the newest backup" is the same one before and after.
    std::sort(out.begin(), out.end(),
              [](const Covered& a, const Covered& b) { return a.entry < b.entry; });
    if (out.empty()) {
        return make_error(Errc::precondition,
                          "no backup the rekey request covers is still verified in the vault "
                          "(pruned since); nothing to rekey",
                          "make a new request with 'ssoescrow rekey request'");
    }
    return out;
}

// Step 5 for one backup, written straight into the pending directory: combine, open, seal the
// same bundle, source and created to the new policy with a fresh id, and check the result.
Result<vault::RekeyManifestLine> reseal_one(const RekeyRequest& request, const Covered& covered,
                                            const BackupShares& shares, const vault::Vault& opened,
                                            const crypto::SigningKey& signer) {
    const vault::CatalogEntry& entry = *covered.entry;
    const vault::EnvelopeHeader& shown = request.headers[covered.index];
    TRY_ASSIGN(const Bytes envelope,
               platform::read_file(opened.dir() / entry.path, vault::k_max_envelope_file_size));
    const std::string& header_text = request.envelope_headers[covered.index];
    if (envelope.size() < header_text.size() ||
        std::string_view(reinterpret_cast<const char*>(envelope.data()), header_text.size()) !=
            header_text) {
        return make_error(Errc::vault_damaged,
                          "backup " + entry.backup_id +
                              " in the vault is not the envelope the rekey request shows",
                          check_hint(opened.dir()));
    }
    TRY_ASSIGN(const vault::Bundle bundle, vault::combine_and_open(envelope, shares.shares));
    vault::SealContext context;
    context.vault_id = opened.config().vault_id;
    context.signer = &signer;
    // seal_envelope opens its own output with K of the new shares and compares the bundle: the
    // self-check of step 5.
    TRY_ASSIGN(const Bytes sealed, vault::seal_envelope(request.new_policy, context, shown.source,
                                                        bundle, shown.created));
    TRY_ASSIGN(const vault::EnvelopeHeader header, vault::parse_envelope_header(sealed));
    TRY(vault::check_envelope_policy(header, request.new_policy));
    TRY(vault::check_envelope_signature(header, sealed));
    const std::string new_id = vault::backup_id_hex(header.backup_id);
    TRY(platform::write_file_durably(pending_envelope(opened.dir(), new_id), sealed,
                                     platform::Overwrite::no, platform::FinalMode::read_only));
    platform::test_hooks::crash_point("rekey-after-pending-envelope");
    return vault::RekeyManifestLine{entry.backup_id, sha256_hex(envelope), new_id,
                                    sha256_hex(sealed)};
}

vault::AuditRecord commit_record(const RekeyRequest& request, const vault::RekeyManifest& manifest,
                                 const std::vector<std::string>& proven, vault::UnixTime now) {
    vault::AuditRecord record;
    record.type = vault::AuditType::policy_change;
    record.time = now;
    record.actor = vault::current_actor();
    record.fields.push_back({"old-config", manifest.old_config});
    record.fields.push_back({"new-config", manifest.new_config});
    record.fields.push_back({"policy", manifest.new_policy});
    record.fields.push_back({"threshold", std::to_string(request.new_policy.threshold)});
    for (const crypto::Recipient& r : request.new_policy.recipients)
        record.fields.push_back({"custodian", r.fingerprint()});
    for (const crypto::Signer& s : request.new_policy.signers)
        record.fields.push_back({"policy-signer", s.fingerprint()});
    record.fields.push_back({"rekey", manifest.request});
    for (const std::string& custodian : proven)
        record.fields.push_back({"proven", custodian});
    return record;
}

// Step 6: the pending state (envelopes, config, with --verify-custodians the awaiting-proof
// file, the manifest last).
Result<vault::RekeyManifest> write_pending(const RekeyRequest& request,
                                           const std::vector<Covered>& covered,
                                           const std::vector<BackupShares>& shares,
                                           const vault::Vault& opened, vault::WriterLock& lock,
                                           const crypto::SigningKey& signer, bool await_proof) {
    const fs::path dir = opened.dir();
    TRY(platform::ensure_private_directory(pending_dir(dir)));
    vault::RekeyManifest manifest;
    manifest.request = restore::request_id_hex(request.id);
    manifest.vault_id = opened.vault_id();
    manifest.old_config = opened.config_hash();
    manifest.old_policy = request.old_policy;
    manifest.new_policy = request.new_policy_fingerprint();
    for (const Covered& c : covered) {
        TRY(lock.refresh_if_due());
        TRY_ASSIGN(vault::RekeyManifestLine line,
                   reseal_one(request, c, shares[c.index], opened, signer));
        manifest.backups.push_back(std::move(line));
    }
    vault::VaultConfig next = opened.config();
    next.escrow = request.new_policy;
    TRY(next.validate());
    const std::string config = next.serialise();
    manifest.new_config = vault::audit_hash(config);
    TRY(platform::write_file_durably(pending_dir(dir) / vault::k_rekey_config_file,
                                     as_bytes(config), platform::Overwrite::no,
                                     platform::FinalMode::read_only));
    platform::test_hooks::crash_point("rekey-after-pending-config");
    if (await_proof) {
        const vault::RekeyAwaitingProof awaiting{manifest.request, manifest.vault_id,
                                                 request.expires};
        TRY(platform::write_file_durably(pending_dir(dir) / vault::k_rekey_awaiting_file,
                                         as_bytes(vault::serialise_rekey_awaiting(awaiting)),
                                         platform::Overwrite::no, platform::FinalMode::read_only));
        platform::test_hooks::crash_point("rekey-after-awaiting-proof");
    }
    TRY(platform::write_file_durably(pending_dir(dir) / vault::k_rekey_manifest_file,
                                     as_bytes(vault::serialise_rekey_manifest(manifest)),
                                     platform::Overwrite::no, platform::FinalMode::read_only));
    platform::test_hooks::crash_point("rekey-after-manifest");
    return manifest;
}

// Step 7: the commit record.
Result<std::uint64_t> commit(const RekeyRequest& request, const vault::RekeyManifest& manifest,
                             const std::vector<std::string>& proven, const fs::path& dir,
                             vault::AuditChain& chain, vault::WriterLock& lock,
                             vault::Clock& clock) {
    TRY(lock.check_still_held());
    TRY_ASSIGN(const vault::ChainRecord committed,
               vault::append_audit_record(dir, chain,
                                          commit_record(request, manifest, proven, clock.now())));
    platform::test_hooks::crash_point("rekey-after-commit");
    return committed.record.seq;
}

// Takes the writer lock and checks the history as every writer does, except for the settling
// of a pending rekey, which the caller decides.
Result<vault::WriterLock> lock_for_rekey(const fs::path& dir, const vault::Vault& before,
                                         const vault::LockOptions& lock_options,
                                         const vault::WriterContext& writer) {
    TRY_ASSIGN(const fs::path state_dir,
               vault::state_dir_for(writer.state_root, before.vault_id()));
    TRY_ASSIGN(vault::WriterLock lock, vault::WriterLock::acquire(dir, lock_options));
    // The history checks of every writer but the config's (a committed rekey's config is still
    // the old one, which the finish replaces).
    TRY_ASSIGN(const vault::AuditChain chain, vault::read_audit_chain(dir, before.vault_id()));
    if (!chain.intact()) {
        return make_error(
            Errc::vault_damaged,
            "the audit log of " + dir_text(dir) + " is damaged; refusing to write to the vault",
            check_hint(dir));
    }
    TRY(vault::check_not_rolled_back(before, chain, state_dir));
    vault::correct_audit_head(before, chain);
    // What a writer killed mid-write left behind (the finish may follow a crash).
    TRY(vault::remove_stale_temp_files_of(before, chain));
    if (lock.taken_over()) {
        TRY(vault::audit_lock_takeover(before, *lock.taken_over(), lock_options.operation,
                                       clock_of(lock_options).now()));
    }
    return lock;
}

// The manifest of VAULT/rekey/ when it parses and no record commits it; otherwise `damage`.
Result<vault::RekeyManifest> uncommitted_manifest(const fs::path& dir,
                                                  const vault::AuditChain& chain,
                                                  const Error& damage) {
    auto bytes = platform::read_file(pending_dir(dir) / vault::k_rekey_manifest_file,
                                     vault::k_max_rekey_manifest_size);
    if (!bytes)
        return damage;
    auto manifest = vault::parse_rekey_manifest(
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
        "rekey/manifest");
    if (!manifest || vault::find_rekey_commit(chain, *manifest) != nullptr)
        return damage;
    return manifest;
}

// The commit of a ceremony awaiting proof, under the lock: which prepared backups are still
// verified (one pruned meanwhile is dropped), which verified backups it does not cover.
Result<std::vector<vault::RekeyManifestLine>> still_covered(const vault::RekeyManifest& manifest,
                                                            const vault::Catalog& catalog,
                                                            bool leave_uncovered,
                                                            ApplyOutcome& outcome) {
    std::vector<vault::RekeyManifestLine> kept;
    std::set<std::string> ids;
    for (const vault::RekeyManifestLine& line : manifest.backups) {
        ids.insert(line.old_backup);
        const vault::CatalogEntry* entry = catalog.find(line.old_backup);
        if (entry == nullptr || !entry->usable()) {
            outcome.skipped.push_back(line.old_backup);
            continue;
        }
        if (entry->envelope_hash != line.old_envelope) {
            return make_error(Errc::vault_damaged,
                              "backup " + line.old_backup +
                                  " is no longer the envelope the ceremony was prepared from",
                              "run 'ssoescrow vault check'");
        }
        kept.push_back(line);
    }
    TRY(note_uncovered(catalog, ids, leave_uncovered, outcome,
                       "the ceremony does not cover verified backup(s) ",
                       " (sealed while it awaited proof); nothing was changed",
                       "give --leave-uncovered to leave them sealed to the old policy until a "
                       "second ceremony or a prune, or abandon this ceremony and make a new "
                       "request"));
    if (kept.empty()) {
        return make_error(Errc::precondition,
                          "every backup the ceremony prepared was pruned while it awaited "
                          "proof; nothing to rekey",
                          "remove it with 'ssoescrow rekey abandon', then make a new request");
    }
    return kept;
}

// --proof: every kept pending envelope must open with the new custodians' shares before the
// commit; the proven custodians are named.
Status open_with_proofs(std::span<const Bytes> envelopes, const std::vector<BackupShares>& shares,
                        ApplyOutcome& outcome) {
    std::set<std::string> proven;
    for (std::size_t i = 0; i < envelopes.size(); ++i) {
        // The bundle itself is not needed: that it opens is the proof.
        TRY_ASSIGN(const vault::Bundle opened,
                   vault::combine_and_open(envelopes[i], shares[i].shares));
        for (const vault::CustodianShare& share : shares[i].shares)
            proven.insert(share.recipient_fingerprint);
    }
    outcome.proven_by.assign(proven.begin(), proven.end());
    return {};
}

Result<ApplyOutcome> commit_proven(const RekeyRequest& request, const restore::RequestKey& key,
                                   const ApplyOptions& options, const vault::Vault& before,
                                   ApplyOutcome outcome) {
    vault::Clock& clock = clock_of(options.lock);
    const fs::path dir = options.vault_dir;
    const std::string id = restore::request_id_hex(request.id);
    TRY(check_rekey_request_current(request, clock.now()));
    TRY(check_signer_of(request.new_policy, *options.signer));
    TRY_ASSIGN(vault::WriterLock lock, lock_for_rekey(dir, before, options.lock, options.writer));
    TRY_ASSIGN(const vault::Vault opened, vault::Vault::open(dir));
    TRY_ASSIGN(vault::AuditChain chain, vault::read_audit_chain(dir, opened.vault_id()));
    TRY_ASSIGN(const vault::PendingRekey pending, vault::read_pending_rekey(dir, chain));
    if (pending.state != vault::PendingRekeyState::awaiting_proof ||
        pending.manifest->request != id) {
        return make_error(Errc::precondition,
                          "no rekey of request " + id + " awaits proof in " + dir_text(dir) +
                              " any more (abandoned, or rolled back after it expired)",
                          "make a new request with 'ssoescrow rekey request'");
    }
    TRY(check_not_stale(request, opened, chain));
    vault::RekeyManifest manifest = *pending.manifest;
    if (opened.config_hash() != manifest.old_config) {
        return make_error(Errc::precondition,
                          "the config of vault " + dir_text(dir) +
                              " changed while the ceremony awaited proof; committing it would "
                              "undo that change",
                          "remove it with 'ssoescrow rekey abandon --vault " + dir_text(dir) +
                              "' and prepare it again with the same request and approvals");
    }
    TRY(vault::check_vault_writable(opened));
    // The proofs first, against every pending envelope the manifest names.
    TRY_ASSIGN(const std::vector<Bytes> envelopes,
               read_pending_envelopes(dir, request, manifest.backups));
    TRY_ASSIGN(const PendingHeaders headers, pending_headers(envelopes));
    TRY_ASSIGN(std::vector<BackupShares> shares,
               open_rekey_proofs(request, key, headers, options.proofs, clock.now()));
    TRY_ASSIGN(const vault::Catalog catalog, vault::build_catalog(opened));
    TRY_ASSIGN(const std::vector<vault::RekeyManifestLine> kept,
               still_covered(manifest, catalog, options.leave_uncovered, outcome));
    // Every kept pending envelope with its proven shares: `envelopes` follows the manifest,
    // `shares` the headers (sorted by backup id).
    std::vector<Bytes> to_open;
    std::vector<BackupShares> their_shares;
    for (const vault::RekeyManifestLine& line : kept) {
        for (std::size_t i = 0; i < manifest.backups.size(); ++i) {
            if (manifest.backups[i].new_backup == line.new_backup)
                to_open.push_back(envelopes[i]);
        }
        for (std::size_t i = 0; i < headers.headers.size(); ++i) {
            if (vault::backup_id_hex(headers.headers[i].backup_id) == line.new_backup)
                their_shares.push_back(std::move(shares[i]));
        }
    }
    TRY(open_with_proofs(to_open, their_shares, outcome));
    if (kept.size() != manifest.backups.size()) {
        // Before the commit the manifest may still change: it is uncommitted, and a crash here
        // leaves a ceremony awaiting proof with fewer backups.
        manifest.backups = kept;
        TRY(lock.check_still_held());
        TRY(platform::write_file_durably(pending_dir(dir) / vault::k_rekey_manifest_file,
                                         as_bytes(vault::serialise_rekey_manifest(manifest)),
                                         platform::Overwrite::yes, platform::FinalMode::read_only));
        platform::test_hooks::crash_point("rekey-after-manifest-rewrite");
    }
    TRY_ASSIGN(outcome.commit_seq,
               commit(request, manifest, outcome.proven_by, dir, chain, lock, clock));
    TRY_ASSIGN(const FinishOutcome finished, finish_locked(dir, lock, *options.signer, clock));
    outcome.rekeyed = finished.backups;
    TRY(lock.release());
    return outcome;
}

}  // namespace

Result<std::vector<Bytes>> read_pending_envelopes(const fs::path& dir, const RekeyRequest& request,
                                                  std::span<const vault::RekeyManifestLine> lines) {
    std::vector<Bytes> out;
    for (const vault::RekeyManifestLine& line : lines) {
        TRY_ASSIGN(Bytes envelope, platform::read_file(pending_envelope(dir, line.new_backup),
                                                       vault::k_max_envelope_file_size));
        if (sha256_hex(envelope) != line.new_envelope) {
            return make_error(Errc::vault_damaged,
                              "the pending envelope of backup " + line.new_backup +
                                  " is not the one the ceremony prepared",
                              "a copy of the vault may be out of date; in the vault itself, remove "
                              "the ceremony with 'ssoescrow rekey abandon' and prepare it again");
        }
        TRY_ASSIGN(const vault::EnvelopeHeader header, vault::parse_envelope_header(envelope));
        TRY(vault::check_envelope_policy(header, request.new_policy));
        TRY(vault::check_envelope_signature(header, envelope));
        out.push_back(std::move(envelope));
    }
    return out;
}

Result<FinishOutcome> finish_rekey(const fs::path& vault_dir, const crypto::SigningKey& signer,
                                   const vault::LockOptions& lock_options,
                                   const vault::WriterContext& writer) {
    TRY_ASSIGN(const vault::Vault before, vault::Vault::open(vault_dir));
    TRY_ASSIGN(vault::WriterLock lock, lock_for_rekey(vault_dir, before, lock_options, writer));
    TRY_ASSIGN(FinishOutcome outcome,
               finish_locked(vault_dir, lock, signer, clock_of(lock_options)));
    TRY(lock.release());
    return outcome;
}

Result<std::string> abandon_rekey(const fs::path& vault_dir, const vault::LockOptions& lock_options,
                                  const vault::WriterContext& writer) {
    TRY_ASSIGN(const vault::Vault before, vault::Vault::open(vault_dir));
    TRY_ASSIGN(vault::WriterLock lock, lock_for_rekey(vault_dir, before, lock_options, writer));
    TRY_ASSIGN(const vault::AuditChain chain,
               vault::read_audit_chain(vault_dir, before.vault_id()));
    auto pending = vault::read_pending_rekey(vault_dir, chain);
    if (!pending) {
        // A damaged awaiting-proof file beside a manifest that parses and that no record commits
        // is still an uncommitted ceremony; a damaged manifest is not known to be one.
        TRY_ASSIGN(const vault::RekeyManifest manifest,
                   uncommitted_manifest(vault_dir, chain, pending.error()));
        pending = vault::PendingRekey{vault::PendingRekeyState::uncommitted, manifest, nullptr,
                                      std::nullopt};
    }
    if (pending->state == vault::PendingRekeyState::none)
        return std::string();
    if (pending->state == vault::PendingRekeyState::committed) {
        return make_error(
            Errc::precondition,
            "the rekey of request " + pending->manifest->request +
                " was committed in audit record " + std::to_string(pending->commit->record.seq) +
                ": a committed rekey is finished, never undone",
            "finish it with 'ssoescrow rekey finish --vault " + dir_text(vault_dir) + "'");
    }
    const std::string request =
        pending->manifest ? pending->manifest->request : std::string("(not prepared)");
    TRY(lock.check_still_held());
    TRY(vault::remove_pending_rekey(vault_dir));
    TRY(lock.release());
    return request;
}

Result<ApplyOutcome> apply_rekey(const RekeyRequest& request, const restore::RequestKey& key,
                                 const ApplyOptions& options) {
    if (options.signer == nullptr)
        return make_error(Errc::internal, "rekey apply without a signing key");
    vault::Clock& clock = clock_of(options.lock);
    const fs::path dir = options.vault_dir;
    const std::string id = restore::request_id_hex(request.id);
    ApplyOutcome outcome;
    outcome.old_policy = request.old_policy;
    outcome.new_policy = request.new_policy_fingerprint();
    TRY_ASSIGN(const vault::Vault before, vault::Vault::open(dir));
    if (before.vault_id() != request.vault_id) {
        return make_error(Errc::precondition, "rekey request " + id + " is for vault " +
                                                  request.vault_id + ", not " + dir_text(dir) +
                                                  " (vault " + before.vault_id() + ")");
    }
    {
        // Step 2: this request committed and unfinished (a crash): finish it, nothing else.
        TRY_ASSIGN(const vault::AuditChain chain, vault::read_audit_chain(dir, before.vault_id()));
        TRY_ASSIGN(const vault::PendingRekey pending, vault::read_pending_rekey(dir, chain));
        if (pending.state == vault::PendingRekeyState::committed &&
            pending.manifest->request == id) {
            TRY_ASSIGN(const FinishOutcome finished,
                       finish_rekey(dir, *options.signer, options.lock, options.writer));
            outcome.only_finished = true;
            outcome.rekeyed = finished.backups;
            outcome.commit_seq = pending.commit->record.seq;
            return outcome;
        }
        const bool awaiting = pending.state == vault::PendingRekeyState::awaiting_proof &&
                              !pending.expired(clock.now());
        if (!options.proofs.empty()) {
            if (awaiting && pending.manifest->request == id)
                return commit_proven(request, key, options, before, std::move(outcome));
            return make_error(Errc::precondition,
                              "no rekey of request " + id + " awaits proof in " + dir_text(dir),
                              "prepare it first: 'ssoescrow rekey apply REQUEST --vault " +
                                  dir_text(dir) + " --approval ... --verify-custodians'");
        }
        if (awaiting) {
            return awaiting_proof_error(dir, *pending.awaiting,
                                        pending.manifest->request == id ? "it is prepared already"
                                                                        : "one ceremony at a time");
        }
        if (pending.state != vault::PendingRekeyState::committed)
            TRY(check_not_stale(request, before, chain));
    }
    TRY(check_rekey_request_current(request, clock.now()));
    TRY(check_signer_of(request.new_policy, *options.signer));
    // Step 3: every approval on its own, then enough per backup; no envelope is opened yet.
    TRY_ASSIGN(const std::vector<BackupShares> shares,
               open_rekey_approvals(request, key, options.approvals, clock.now()));

    // Step 4: the writer lock; an uncommitted earlier ceremony is rolled back, a committed one
    // of another request refused; then the history checks of every writer.
    TRY_ASSIGN(const fs::path state_dir,
               vault::state_dir_for(options.writer.state_root, before.vault_id()));
    TRY_ASSIGN(vault::WriterLock lock, vault::WriterLock::acquire(dir, options.lock));
    const bool was_pending = platform::exists_no_follow(pending_dir(dir));
    TRY(vault::settle_pending_rekey(dir, before.vault_id()));
    if (platform::exists_no_follow(pending_dir(dir))) {
        // Prepared by someone else while this command waited for the lock.
        return make_error(
            Errc::precondition,
            "another rekey ceremony awaiting proof was prepared in " + dir_text(dir) + " meanwhile",
            "run 'ssoescrow vault check --vault " + dir_text(dir) +
                "' to see which; commit or abandon it first");
    }
    outcome.rolled_back = was_pending;
    TRY_ASSIGN(const vault::Vault opened, vault::Vault::open(dir));
    TRY_ASSIGN(const vault::VerifiedHistory verified,
               vault::verify_history_for_writing(opened, state_dir));
    vault::correct_audit_head(opened, verified.chain);
    if (lock.taken_over()) {
        TRY(vault::audit_lock_takeover(opened, *lock.taken_over(), options.lock.operation,
                                       clock.now()));
    }
    // The whole chain, not the head cache's tail: the replay check reads every policy-change.
    TRY_ASSIGN(vault::AuditChain chain, vault::read_audit_chain(dir, opened.vault_id()));
    TRY(check_not_stale(request, opened, chain));
    TRY(vault::check_vault_writable(opened));
    TRY(platform::remove_stale_temp_files(opened.envelopes_dir()));
    TRY(platform::remove_stale_temp_files(opened.audit_dir()));
    TRY_ASSIGN(const vault::Catalog catalog, vault::build_catalog(opened));
    TRY_ASSIGN(const std::vector<Covered> covered,
               covered_backups(request, catalog, options.leave_uncovered, outcome));

    // Steps 5-7.
    TRY_ASSIGN(const vault::RekeyManifest manifest,
               write_pending(request, covered, shares, opened, lock, *options.signer,
                             options.verify_custodians));
    if (options.verify_custodians) {
        outcome.awaiting_proof = true;
        outcome.prepared = manifest.backups.size();
        outcome.expires = request.expires;
        TRY(lock.release());
        return outcome;
    }
    TRY_ASSIGN(outcome.commit_seq,
               commit(request, manifest, outcome.proven_by, dir, chain, lock, clock));
    // Step 8.
    TRY_ASSIGN(const FinishOutcome finished, finish_locked(dir, lock, *options.signer, clock));
    outcome.rekeyed = finished.backups;
    TRY(lock.release());
    return outcome;
}

}  // namespace ssoescrow::rekey
