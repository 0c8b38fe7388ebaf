// Signed backups (FORMAT.md 3.14, 4.3): what someone who can write the vault but holds no signing
// key of its policy can and cannot do. A planted envelope (sealed to the vault's own custodians,
// with or without a record) is never verified, adopted or counted; an envelope of another vault
// is refused; an unsigned or foreign-signed record proves nothing; a signer removed from the
// policy keeps the envelopes it signed under the policy that listed it, and signs nothing new.
#include <algorithm>

#include "test_support.hpp"
#include "test_vault_layout_support.hpp"
#include "vault/catalog.hpp"
#include "vault/check.hpp"
#include "vault/lock.hpp"
#include "vault/prune.hpp"

using namespace vault_test;

namespace {

CheckReport check_at(const Vault& vault, std::int64_t now) {
    FakeClock clock(now);
    CheckOptions options;
    options.clock = &clock;
    auto report = check_vault(vault, options);
    REQUIRE(report.ok());
    return std::move(report).value();
}

Bundle some_bundle() {
    Bundle bundle;
    bundle.bak = crypto::SecretBytes::random(32);
    bundle.password = crypto::SecretBytes::copy_of(as_bytes("attacker's password"));
    bundle.reminder = "chosen by the attacker";
    bundle.bak_sha256 = crypto::sha256(bundle.bak.view());
    return bundle;
}

// Seals as `key` would, even when `key` is not a signer of `policy` (an attacker's own tool).
Bytes seal_as(const crypto::SigningKey& key, const VaultId& vault_id, EscrowPolicy policy,
              std::int64_t created) {
    // The attacker's tool lists their key so the sealer accepts it, then claims the victim's
    // policy fingerprint by rewriting the header line (nothing else checks it without keys).
    const std::string claimed = policy.fingerprint();
    if (policy.find_signer(key.signer.fingerprint()) == nullptr)
        policy.signers.push_back(key.signer);
    SealContext context;
    context.vault_id = vault_id;
    context.signer = &key;
    SourceInfo source{"BTS01", "SSODB01", "{11111111-2222-3333-4444-555555555555}", "", "nightly"};
    auto sealed = seal_envelope(policy, context, source, some_bundle(), created);
    REQUIRE(sealed.ok());
    std::string text(sealed->begin(), sealed->end());
    const std::string line = "\npolicy: " + policy.fingerprint() + "\n";
    const std::size_t at = text.find(line);
    REQUIRE(at != std::string::npos);
    text.replace(at, line.size(), "\npolicy: " + claimed + "\n");
    // Re-sign the edited header, as the attacker's own sealer would have signed it.
    auto header = parse_envelope_header(to_bytes(text));
    REQUIRE(header.ok());
    const std::string signed_part = text.substr(0, header->signed_size);
    Bytes message = to_bytes("ssoescrow/2 envelope-signature");
    message.push_back(0);
    message.insert(message.end(), signed_part.begin(), signed_part.end());
    message.insert(message.end(), header->payload_sha256.begin(), header->payload_sha256.end());
    const crypto::Signature signature = key.sign(message);
    const std::string old_line =
        text.substr(header->signed_size, header->header_size - header->signed_size);
    const std::string new_line =
        "signature: ed25519 " + to_hex(header->payload_sha256) + " " + to_base64(signature) + "\n";
    text.replace(header->signed_size, old_line.size(), new_line);
    return to_bytes(text);
}

std::string plant(const Vault& vault, ByteView envelope) {
    auto header = parse_envelope_header(envelope);
    REQUIRE(header.ok());
    const std::string rel = Vault::envelope_relative_path(header->backup_id);
    write_text(vault.dir() / rel, std::string(envelope.begin(), envelope.end()));
    return backup_id_hex(header->backup_id);
}

// The attacker's matching `backup` record, appended to the unkeyed chain.
void append_record(const Vault& vault, ByteView envelope, const crypto::SigningKey* key) {
    auto header = parse_envelope_header(envelope);
    REQUIRE(header.ok());
    auto chain = read_audit_chain(vault.dir(), vault.vault_id());
    REQUIRE(chain.ok());
    AuditRecord record;
    record.type = AuditType::backup;
    record.time = header->created;
    record.actor = "mallory@evil";
    record.fields = {{"backup", backup_id_hex(header->backup_id)},
                     {"envelope", to_hex(crypto::sha256(envelope))},
                     {"created", format_time(header->created)},
                     {"computer", "BTS01"},
                     {"current-msid", header->source.current_msid},
                     {"label", "nightly"},
                     {"policy", header->policy_fingerprint}};
    REQUIRE(append_audit_record(vault.dir(), *chain, record, key).ok());
}

const CatalogEntry& entry_of(const CheckReport& report, const std::string& id) {
    const CatalogEntry* entry = report.catalog.find(id);
    REQUIRE(entry != nullptr);
    return *entry;
}

struct Fixture {
    TempDir tmp;
    Custodians custodians = make_custodians(2, 3);
    Vault vault = make_vault(tmp.path() / "vault", custodians.policy);
    StoredBackup genuine = add_backup(vault, custodians.policy, k_t0 + 60);
    crypto::SigningKey mallory = crypto::generate_signing_key("mallory");
};

}  // namespace

TEST_CASE("a planted envelope sealed to the vault's own policy is never verified nor adopted",
          "[vault][signatures]") {
    Fixture f;
    const Bytes planted =
        seal_as(f.mallory, f.vault.config().vault_id, f.custodians.policy, k_t0 + 600);
    const std::string id = plant(f.vault, planted);

    const CheckReport report = check_at(f.vault, k_t0 + 700);
    INFO(describe(report.findings));
    const CatalogEntry& entry = entry_of(report, id);
    CHECK(entry.state == BackupState::damaged);
    CHECK(entry.signer == f.mallory.signer.fingerprint());
    CHECK(describe_signer(entry) == "signer " + f.mallory.signer.fingerprint());
    CHECK(has_finding(report.findings, Severity::damaged, "envelope-signer-unknown"));
    CHECK_FALSE(has_finding(report.findings, Severity::warning, "envelope-orphan"));
    CHECK(report.catalog.newest_verified()->backup_id == f.genuine.backup_id);

    // The victim's next prune does not adopt it.
    FakeClock clock(k_t0 + 800);
    LockOptions lock_options;
    lock_options.clock = &clock;
    auto lock = WriterLock::acquire(f.vault.dir(), lock_options);
    REQUIRE(lock.ok());
    PruneOptions prune_options;
    prune_options.clock = &clock;
    prune_options.signer = &test_support::test_signing_key();
    auto history_1 = unverified_history(f.vault);
    auto pruned = execute_prune(f.vault, *lock, history_1, prune_options);
    REQUIRE(pruned.ok());
    CHECK(pruned->adopted.empty());
    REQUIRE(lock->release().ok());
}

TEST_CASE("a planted envelope with a matching record is damage twice and never counted",
          "[vault][signatures]") {
    Fixture f;
    const Bytes planted =
        seal_as(f.mallory, f.vault.config().vault_id, f.custodians.policy, k_t0 + 600);
    const std::string id = plant(f.vault, planted);
    append_record(f.vault, planted, &f.mallory);

    const CheckReport report = check_at(f.vault, k_t0 + 700);
    INFO(describe(report.findings));
    CHECK(entry_of(report, id).state == BackupState::damaged);
    CHECK(has_finding(report.findings, Severity::damaged, "record-signer-unknown"));
    CHECK(has_finding(report.findings, Severity::damaged, "envelope-signer-unknown"));
    CHECK(report.catalog.untrusted_records.size() == 1);
    CHECK(report.catalog.newest_verified()->backup_id == f.genuine.backup_id);
}

TEST_CASE("a record whose signature does not verify is not counted", "[vault][signatures]") {
    Fixture f;
    // Re-sign the genuine record's content with another key but keep the host's signer line: the
    // signature no longer verifies under the key the record names.
    auto chain = read_audit_chain(f.vault.dir(), f.vault.vault_id());
    REQUIRE(chain.ok());
    AuditRecord forged = chain->records.back().record;
    forged.fields.erase(forged.fields.end() - 2, forged.fields.end());
    forged.fields[0].value = std::string(32, 'a');  // another backup id
    const crypto::SigningKey& host = test_support::test_signing_key();
    REQUIRE(append_audit_record(f.vault.dir(), *chain, forged, &f.mallory).ok());
    const ChainRecord& appended = chain->records.back();
    std::string text = read_text(f.vault.dir() / appended.file);
    const std::string mallory_line =
        "signer: " + f.mallory.signer.fingerprint() + " " + to_base64(f.mallory.signer.public_key);
    const std::string host_line =
        "signer: " + host.signer.fingerprint() + " " + to_base64(host.signer.public_key);
    text.replace(text.find(mallory_line), mallory_line.size(), host_line);
    test_support::remove_write_once_file(f.vault.dir() / appended.file);
    write_text(f.vault.dir() / ("audit/" + audit_file_name(appended.record.seq, audit_hash(text))),
               text);

    const CheckReport report = check_at(f.vault, k_t0 + 700);
    INFO(describe(report.findings));
    CHECK(has_finding(report.findings, Severity::damaged, "record-signature-invalid"));
    CHECK(report.catalog.untrusted_records.count(appended.record.seq) == 1);
}

TEST_CASE("a valid envelope moved from another vault with the same custodians is refused",
          "[vault][signatures]") {
    Fixture f;
    TempDir other_dir;
    const Vault other = make_vault(other_dir.path() / "vault", f.custodians.policy);
    REQUIRE(other.config().escrow.fingerprint() == f.vault.config().escrow.fingerprint());
    const StoredBackup theirs = add_backup(other, f.custodians.policy, k_t0 + 300);
    const std::string text = read_text(other.dir() / theirs.path);
    write_text(f.vault.dir() / theirs.path, text);

    CheckReport report = check_at(f.vault, k_t0 + 700);
    INFO(describe(report.findings));
    CHECK(entry_of(report, theirs.backup_id).state == BackupState::damaged);
    CHECK(has_finding(report.findings, Severity::damaged, "envelope-other-vault"));

    // With its record copied too (a signed record, but of the other vault's chain position).
    FakeClock clock(k_t0 + 800);
    LockOptions lock_options;
    lock_options.clock = &clock;
    auto lock = WriterLock::acquire(f.vault.dir(), lock_options);
    REQUIRE(lock.ok());
    auto history_2 = unverified_history(f.vault);
    auto stored = store_envelope(f.vault, *lock, history_2, to_bytes(text), AuditType::backup,
                                 k_t0 + 800, test_support::test_signing_key());
    REQUIRE_FALSE(stored.ok());
    CHECK(stored.error().code == Errc::policy_mismatch);
    REQUIRE(lock->release().ok());
}

TEST_CASE("a signer removed from the policy keeps its old envelopes and signs nothing new",
          "[vault][signatures]") {
    TempDir tmp;
    Custodians custodians = make_custodians(2, 3);
    const crypto::SigningKey node2 = crypto::generate_signing_key("node2");
    custodians.policy.signers.push_back(node2.signer);
    const Vault vault = make_vault(tmp.path() / "vault", custodians.policy);
    // node2 makes a backup under the first policy.
    StoredBackup old_backup;
    {
        FakeClock clock(k_t0 + 60);
        LockOptions lock_options;
        lock_options.clock = &clock;
        auto lock = WriterLock::acquire(vault.dir(), lock_options);
        REQUIRE(lock.ok());
        SealContext context = test_support::test_seal(vault.config().vault_id);
        context.signer = &node2;
        SourceInfo source{"NODE2", "SSODB01", "{11111111-2222-3333-4444-555555555555}", "", ""};
        auto sealed = seal_envelope(custodians.policy, context, source, some_bundle(), k_t0 + 60);
        REQUIRE(sealed.ok());
        auto history_3 = unverified_history(vault);
        auto stored = store_envelope(vault, *lock, history_3, *sealed, AuditType::backup, k_t0 + 60,
                                     node2, "op@node2");
        REQUIRE(stored.ok());
        old_backup = *stored;
        REQUIRE(lock->release().ok());
    }
    // The policy changes: node2 is removed (policy-change record, then the new config).
    EscrowPolicy without = custodians.policy;
    without.signers.erase(std::remove_if(without.signers.begin(), without.signers.end(),
                                         [&](const crypto::Signer& s) {
                                             return s.public_key == node2.signer.public_key;
                                         }),
                          without.signers.end());
    VaultConfig config = vault.config();
    config.escrow = without;
    const std::string new_config = config.serialise();
    {
        auto chain = read_audit_chain(vault.dir(), vault.vault_id());
        REQUIRE(chain.ok());
        AuditRecord change;
        change.type = AuditType::policy_change;
        change.time = k_t0 + 120;
        change.actor = "admin@host";
        change.fields = {{"old-config", vault.config_hash()},
                         {"new-config", audit_hash(new_config)},
                         {"policy", without.fingerprint()},
                         {"threshold", "2"}};
        auto sorted = without.normalised();
        REQUIRE(sorted.ok());
        for (const crypto::Recipient& r : sorted->recipients)
            change.fields.push_back({"custodian", r.fingerprint()});
        for (const crypto::Signer& signer : sorted->signers)
            change.fields.push_back({"policy-signer", signer.fingerprint()});
        REQUIRE(append_audit_record(vault.dir(), *chain, change).ok());
        write_text(vault.config_path(), new_config);
    }
    auto reopened = Vault::open(vault.dir());
    REQUIRE(reopened.ok());

    // The old envelope names the policy that listed node2: still verified.
    CheckReport report = check_at(*reopened, k_t0 + 200);
    INFO(describe(report.findings));
    CHECK(report.clean());
    CHECK(entry_of(report, old_backup.backup_id).state == BackupState::verified);

    // node2 cannot seal under the new policy, and a record it signs now is not counted.
    SealContext context = test_support::test_seal(reopened->config().vault_id);
    context.signer = &node2;
    SourceInfo source{"NODE2", "SSODB01", "{11111111-2222-3333-4444-555555555555}", "", ""};
    auto refused = seal_envelope(without, context, source, some_bundle(), k_t0 + 300);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::precondition);
    CHECK(refused.error().message.find(node2.signer.fingerprint()) != std::string::npos);

    // An envelope node2 signs naming the OLD policy after the change, with its record: the
    // record is signed by a signer that the policy in force no longer lists.
    const Bytes late = seal_as(node2, reopened->config().vault_id, custodians.policy, k_t0 + 300);
    const std::string late_id = plant(*reopened, late);
    append_record(*reopened, late, &node2);
    report = check_at(*reopened, k_t0 + 400);
    CHECK(has_finding(report.findings, Severity::damaged, "record-signer-unknown"));
    CHECK(entry_of(report, late_id).state == BackupState::damaged);
    CHECK(has_finding(report.findings, Severity::damaged, "envelope-unrecorded-old-policy"));
}

TEST_CASE("an envelope with a changed payload or signature fails its signature check",
          "[vault][signatures]") {
    Fixture f;
    const std::string text = read_text(f.vault.dir() / f.genuine.path);
    auto header = parse_envelope_header(to_bytes(text));
    REQUIRE(header.ok());
    CHECK(check_envelope_signature(*header, to_bytes(text)).ok());
    std::string payload_flipped = text;
    payload_flipped.back() ^= 0x01;
    CHECK(check_envelope_signature(*header, to_bytes(payload_flipped)).error().code ==
          Errc::auth_failed);
    std::string label_changed = text;
    label_changed.replace(label_changed.find("\nlabel: nightly\n"), 16, "\nlabel: nightlz\n");
    auto relabelled = parse_envelope_header(to_bytes(label_changed));
    REQUIRE(relabelled.ok());
    auto refused = check_envelope_signature(*relabelled, to_bytes(label_changed));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("does not verify") != std::string::npos);
    CHECK(check_envelope_header_signature(*header,
                                          ByteView(to_bytes(text)).first(header->header_size))
              .ok());

    write_text(f.vault.dir() / f.genuine.path, label_changed);
    const CheckReport report = check_at(f.vault, k_t0 + 700);
    CHECK(has_finding(report.findings, Severity::damaged, "envelope-signature-invalid"));
}

TEST_CASE("backups made in the same second are in the order the audit log recorded them",
          "[vault][catalog]") {
    TempDir tmp;
    Custodians custodians = make_custodians(2, 3);
    Vault vault = make_vault(tmp.path() / "vault", custodians.policy);
    // Random ids: without the tie-break on the record, "latest" would be whichever id is larger.
    std::vector<std::string> recorded;
    for (int i = 0; i < 6; ++i)
        recorded.push_back(add_backup(vault, custodians.policy, k_t0 + 60).backup_id);
    auto catalog = build_catalog(vault);
    REQUIRE(catalog.ok());
    std::vector<std::string> listed;
    for (const CatalogEntry& e : catalog->entries)
        listed.push_back(e.backup_id);
    CHECK(listed == recorded);
    REQUIRE(catalog->newest_verified() != nullptr);
    CHECK(catalog->newest_verified()->backup_id == recorded.back());
}
