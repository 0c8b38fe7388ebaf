// The pending state of a rekey (vault/rekey_pending.hpp, FORMAT.md 4.10): the manifest's strict
// round trip, and what a writer does after taking the lock: nothing without VAULT/rekey/, a
// rollback of an uncommitted ceremony, a refusal naming `rekey finish` for a committed one; and
// the findings vault check reports for each.
#include <catch2/catch.hpp>

#include "test_vault_layout_support.hpp"
#include "vault/check.hpp"
#include "vault/rekey_pending.hpp"

using namespace vault_test;

namespace {

RekeyManifest sample_manifest(const Vault& vault) {
    RekeyManifest m;
    m.request = std::string(32, 'a');
    m.vault_id = vault.vault_id();
    m.old_config = vault.config_hash();
    m.new_config = std::string(64, 'c');
    m.old_policy = vault.config().escrow.fingerprint();
    m.new_policy = "sha256:" + std::string(64, 'd');
    m.backups.push_back(
        {std::string(32, '1'), std::string(64, '2'), std::string(32, '3'), std::string(64, '4')});
    return m;
}

void write_pending(const Vault& vault, const RekeyManifest& manifest) {
    const fs::path dir = vault.dir() / k_rekey_dir;
    fs::create_directory(dir);
    write_text(dir / "33333333333333333333333333333333.envelope", "not read by the rollback");
    write_text(dir / k_rekey_manifest_file, serialise_rekey_manifest(manifest));
}

void commit(const Vault& vault, const RekeyManifest& manifest) {
    auto chain = read_audit_chain(vault.dir(), vault.vault_id());
    REQUIRE(chain);
    AuditRecord record;
    record.type = AuditType::policy_change;
    record.time = k_t0;
    record.actor = "test@host";
    record.fields = {{"old-config", manifest.old_config},
                     {"new-config", manifest.new_config},
                     {"policy", manifest.new_policy},
                     {"threshold", "2"}};
    for (const crypto::Recipient& r : vault.config().escrow.recipients)
        record.fields.push_back({"custodian", r.fingerprint()});
    for (const crypto::Signer& s : vault.config().escrow.signers)
        record.fields.push_back({"policy-signer", s.fingerprint()});
    record.fields.push_back({"rekey", manifest.request});
    REQUIRE(append_audit_record(vault.dir(), *chain, record));
}

}  // namespace

TEST_CASE("rekey manifest: canonical round trip: damage and other spellings refused",
          "[rekey][vault]") {
    TempDir dir;
    const Custodians c = make_custodians(2, 3);
    const Vault vault = make_vault(dir.path() / "v", c.policy);
    const RekeyManifest m = sample_manifest(vault);
    const std::string text = serialise_rekey_manifest(m);
    auto parsed = parse_rekey_manifest(text, "manifest");
    REQUIRE(parsed);
    CHECK(serialise_rekey_manifest(*parsed) == text);
    CHECK(parsed->backups.size() == 1);
    CHECK(parsed->backups[0].new_backup == std::string(32, '3'));

    std::string flipped = text;
    flipped[text.find("request: ") + 9] = 'b';
    auto damaged = parse_rekey_manifest(flipped, "manifest");
    REQUIRE_FALSE(damaged);
    CHECK(damaged.error().message.find("checksum") != std::string::npos);
    CHECK_FALSE(parse_rekey_manifest(text.substr(0, text.size() - 1), "manifest"));
    CHECK_FALSE(parse_rekey_manifest("", "manifest"));
    RekeyManifest upper = m;
    upper.request = std::string(32, 'A');
    CHECK_FALSE(parse_rekey_manifest(serialise_rekey_manifest(upper), "manifest"));
}

TEST_CASE("pending rekey: uncommitted is rolled back by the next writer, committed is refused",
          "[rekey][vault]") {
    TempDir dir;
    const Custodians c = make_custodians(2, 3);
    const Vault vault = make_vault(dir.path() / "v", c.policy);
    const RekeyManifest m = sample_manifest(vault);
    const fs::path pending = vault.dir() / k_rekey_dir;

    // None: nothing to do, no finding.
    REQUIRE(settle_pending_rekey(vault.dir(), vault.vault_id()));
    auto report = check_vault(vault, {});
    REQUIRE(report);
    CHECK(report->clean());

    // Uncommitted (no policy-change names it): rekey-pending, then rolled back.
    write_pending(vault, m);
    report = check_vault(vault, {});
    REQUIRE(report);
    CHECK(has_finding(report->findings, Severity::warning, "rekey-pending", "rekey"));
    CHECK_FALSE(has_finding(report->findings, Severity::warning, "unknown-file"));
    REQUIRE(settle_pending_rekey(vault.dir(), vault.vault_id()));
    CHECK_FALSE(fs::exists(pending));

    // Without a manifest (interrupted before it): uncommitted too.
    fs::create_directory(pending);
    write_text(pending / "config", "partial");
    REQUIRE(settle_pending_rekey(vault.dir(), vault.vault_id()));
    CHECK_FALSE(fs::exists(pending));

    // Committed: rekey-incomplete, and every writer refuses naming rekey finish.
    write_pending(vault, m);
    commit(vault, m);
    report = check_vault(vault, {});
    REQUIRE(report);
    CHECK(has_finding(report->findings, Severity::warning, "rekey-incomplete", "rekey"));
    const Status refused = settle_pending_rekey(vault.dir(), vault.vault_id());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::vault_damaged);
    CHECK(refused.error().hint.find("rekey finish --vault") != std::string::npos);
    CHECK(fs::exists(pending / k_rekey_manifest_file));

    // A manifest changed by hand: damage, and refused.
    write_text(pending / k_rekey_manifest_file, "ssoescrow-rekey-manifest/1\n");
    report = check_vault(vault, {});
    REQUIRE(report);
    CHECK(has_finding(report->findings, Severity::damaged, "rekey-manifest-damaged"));
    CHECK_FALSE(settle_pending_rekey(vault.dir(), vault.vault_id()));
    CHECK(fs::exists(pending));
}

TEST_CASE("pending rekey: a ceremony awaiting proof is kept until its request expires",
          "[rekey][vault]") {
    TempDir dir;
    const Custodians c = make_custodians(2, 3);
    const Vault vault = make_vault(dir.path() / "v", c.policy);
    const RekeyManifest m = sample_manifest(vault);
    const fs::path pending = vault.dir() / k_rekey_dir;
    const UnixTime now = system_clock().now();
    RekeyAwaitingProof awaiting{m.request, m.vault_id, now + 86400};

    const std::string text = serialise_rekey_awaiting(awaiting);
    auto parsed = parse_rekey_awaiting(text, "awaiting-proof");
    REQUIRE(parsed);
    CHECK(serialise_rekey_awaiting(*parsed) == text);
    std::string flipped = text;
    flipped[text.find("vault: ") + 7] ^= 1;
    CHECK_FALSE(parse_rekey_awaiting(flipped, "awaiting-proof"));
    CHECK_FALSE(parse_rekey_awaiting(serialise_rekey_manifest(m), "awaiting-proof"));

    // Awaiting proof and current: kept by every writer, rekey-awaiting-proof.
    write_pending(vault, m);
    write_text(pending / k_rekey_awaiting_file, text);
    auto report = check_vault(vault, {});
    REQUIRE(report);
    CHECK(has_finding(report->findings, Severity::warning, "rekey-awaiting-proof", "rekey"));
    REQUIRE(settle_pending_rekey(vault.dir(), vault.vault_id()));
    CHECK(fs::exists(pending / k_rekey_manifest_file));

    // Naming another request: damage (writers refuse, nothing is removed).
    RekeyAwaitingProof other = awaiting;
    other.request = std::string(32, 'e');
    write_text(pending / k_rekey_awaiting_file, serialise_rekey_awaiting(other));
    report = check_vault(vault, {});
    REQUIRE(report);
    CHECK(has_finding(report->findings, Severity::damaged, "rekey-manifest-damaged",
                      "rekey/awaiting-proof"));
    CHECK_FALSE(settle_pending_rekey(vault.dir(), vault.vault_id()));
    CHECK(fs::exists(pending));

    // Expired: the next writer rolls it back.
    awaiting.expires = now - 1;
    write_text(pending / k_rekey_awaiting_file, serialise_rekey_awaiting(awaiting));
    REQUIRE(settle_pending_rekey(vault.dir(), vault.vault_id()));
    CHECK_FALSE(fs::exists(pending));

    // The awaiting-proof file without a manifest (interrupted while preparing): rolled back.
    fs::create_directory(pending);
    write_text(pending / k_rekey_awaiting_file, text);
    REQUIRE(settle_pending_rekey(vault.dir(), vault.vault_id()));
    CHECK_FALSE(fs::exists(pending));
}
