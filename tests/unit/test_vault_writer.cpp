// What every writer proves before it writes (vault/writer.hpp): the config is the audit-logged
// one, the log is not rolled back or rewritten against this host's latest-seen state; the
// latest-seen state only moves forward; the policy pin file (vault/host_state.hpp).
#include <catch2/catch.hpp>

#include "test_vault_layout_support.hpp"
#include "vault/host_state.hpp"
#include "vault/writer.hpp"

using namespace vault_test;

namespace {

struct Fixture {
    TempDir tmp;
    Custodians custodians = make_custodians(2, 3);
    Vault vault = make_vault(tmp.path() / "vault", custodians.policy);
    fs::path state_root = tmp.path() / "state";
    fs::path state_dir = state_root / vault.vault_id();

    void backup(std::int64_t at) { add_backup(vault, custodians.policy, at); }
    AuditChain chain() const { return *read_audit_chain(vault.dir(), vault.vault_id()); }
    void remember() { REQUIRE(remember_seen(state_dir, chain(), vault.vault_id(), k_t0).ok()); }
    std::size_t records() const { return chain().records.size(); }
    // Writes the config an attacker with write access would: another policy, checksum right.
    Vault rewrite_config(const EscrowPolicy& policy) {
        VaultConfig config = vault.config();
        config.escrow = *policy.normalised();
        write_text(vault.config_path(), config.serialise());
        return *Vault::open(vault.dir());
    }
    Result<WriteAccess> lock(const Vault& v) const {
        FakeClock clock(k_t0 + 1000);
        LockOptions options;
        options.operation = "backup";
        options.clock = &clock;
        return acquire_writer_lock(v, options, WriterContext{state_root});
    }
};

}  // namespace

TEST_CASE("a writer refuses a config whose policy the audit log does not record, naming both",
          "[vault][writer]") {
    Fixture f;
    f.backup(k_t0 + 60);
    const std::string recorded = f.vault.config().escrow.fingerprint();
    Custodians mallory = make_custodians(1, 1, "mallory");
    const Vault swapped = f.rewrite_config(mallory.policy);
    const std::string forged = swapped.config().escrow.fingerprint();
    REQUIRE(forged != recorded);

    auto verified = verify_history_for_writing(swapped, f.state_dir);
    REQUIRE_FALSE(verified.ok());
    CHECK(verified.error().code == Errc::vault_damaged);
    CHECK_THAT(verified.error().message, Catch::Contains(forged) && Catch::Contains(recorded));
    CHECK_THAT(verified.error().hint, Catch::Contains("tampered"));

    // Through the lock: nothing is written, the lock is released.
    const std::size_t before = f.records();
    auto lock = f.lock(swapped);
    REQUIRE_FALSE(lock.ok());
    CHECK(lock.error().code == Errc::vault_damaged);
    CHECK(f.records() == before);
    CHECK_FALSE(fs::exists(f.vault.dir() / "locks" / "writer.lock"));
}

TEST_CASE("a writer refuses a config changed in any other way", "[vault][writer]") {
    Fixture f;
    VaultConfig config = f.vault.config();
    config.retention.keep_last = 1;
    write_text(f.vault.config_path(), config.serialise());
    const Vault changed = *Vault::open(f.vault.dir());
    auto verified = verify_history_for_writing(changed, f.state_dir);
    REQUIRE_FALSE(verified.ok());
    CHECK(verified.error().code == Errc::vault_damaged);
    CHECK_THAT(verified.error().message,
               Catch::Contains(changed.config_hash()) && Catch::Contains(f.vault.config_hash()));
    // The recorded config passes again.
    write_text(f.vault.config_path(), f.vault.config().serialise());
    CHECK(verify_history_for_writing(*Vault::open(f.vault.dir()), f.state_dir).ok());
}

TEST_CASE("a writer refuses a log rolled back or rewritten against what this host saw",
          "[vault][writer]") {
    Fixture f;
    f.backup(k_t0 + 60);
    f.backup(k_t0 + 120);
    f.remember();
    REQUIRE(verify_history_for_writing(f.vault, f.state_dir).ok());
    const AuditChain full = f.chain();
    const std::string newest = read_text(f.vault.dir() / full.records.back().file);

    SECTION("rolled back: the newest record removed") {
        test_support::remove_write_once_file(f.vault.dir() / full.records.back().file);
        auto verified = verify_history_for_writing(f.vault, f.state_dir);
        REQUIRE_FALSE(verified.ok());
        CHECK(verified.error().code == Errc::vault_damaged);
        CHECK_THAT(verified.error().message,
                   Catch::Contains("audit-rolled-back") && Catch::Contains("record 3 was seen"));
        CHECK_THAT(verified.error().hint, Catch::Contains("vault accept-rollback"));
        const std::size_t before = f.records();
        REQUIRE_FALSE(f.lock(f.vault).ok());
        CHECK(f.records() == before);

        // A later write elsewhere (a host without this witness) extends the old history to the
        // same length: still not this host's history, and the state is not overwritten.
        f.backup(k_t0 + 180);
        REQUIRE(f.records() == full.records.size());
        auto again = verify_history_for_writing(f.vault, f.state_dir);
        REQUIRE_FALSE(again.ok());
        CHECK_THAT(again.error().message, Catch::Contains("audit-history-rewritten"));
        auto kept = remember_seen(f.state_dir, f.chain(), f.vault.vault_id(), k_t0 + 200);
        REQUIRE_FALSE(kept.ok());
        CHECK(kept.error().code == Errc::vault_damaged);
        const auto seen = *read_seen_state(f.state_dir);
        REQUIRE(seen.has_value());
        CHECK(seen->seq == full.records.back().record.seq);
        CHECK(seen->record_hash == full.records.back().hash);

        // replace_seen (vault accept-rollback) is the one way to another history.
        REQUIRE(replace_seen(f.state_dir, f.chain(), f.vault.vault_id(), k_t0 + 300).ok());
        CHECK(verify_history_for_writing(f.vault, f.state_dir).ok());
    }
    SECTION("the state of another vault") {
        TempDir other_tmp;
        const Vault other = make_vault(other_tmp.path() / "vault", f.custodians.policy);
        auto chain = *read_audit_chain(other.dir(), other.vault_id());
        REQUIRE_FALSE(remember_seen(f.state_dir, chain, other.vault_id(), k_t0).ok());
        REQUIRE(replace_seen(f.state_dir, chain, other.vault_id(), k_t0).ok());
        auto verified = verify_history_for_writing(f.vault, f.state_dir);
        REQUIRE_FALSE(verified.ok());
        CHECK_THAT(verified.error().message, Catch::Contains("seen-state-other-vault"));
        CHECK_THAT(verified.error().hint, Catch::Contains("--state-dir"));
    }
    SECTION("an unreadable state is an error of its own") {
        write_text(f.state_dir / k_seen_file, "garbage\n");
        auto verified = verify_history_for_writing(f.vault, f.state_dir);
        REQUIRE_FALSE(verified.ok());
        CHECK(verified.error().code == Errc::parse);
        CHECK_THAT(verified.error().message, Catch::Contains("rollback witness"));
    }
}

TEST_CASE("the latest-seen state moves forward along its history only", "[vault][writer]") {
    Fixture f;
    f.remember();
    f.backup(k_t0 + 60);
    f.remember();
    auto seen = *read_seen_state(f.state_dir);
    CHECK(seen->seq == 2);
    // An older chain (a copy read before the backup) never moves it back.
    AuditChain older = f.chain();
    older.records.pop_back();
    auto refused = remember_seen(f.state_dir, older, f.vault.vault_id(), k_t0 + 100);
    CHECK_FALSE(refused.ok());
    CHECK((*read_seen_state(f.state_dir))->seq == 2);
}

TEST_CASE("a policy pin is one canonical text", "[vault][writer]") {
    PolicyPin pin{"0123456789abcdef0123456789abcdef", "sha256:" + std::string(64, 'a'), k_t0,
                  PinSource::first_use};
    const std::string text = serialise_policy_pin(pin);
    CHECK(text ==
          "ssoescrow-policy-pin/1\nvault: 0123456789abcdef0123456789abcdef\npolicy: sha256:" +
              std::string(64, 'a') + "\ntime: 2026-11-26T12:34:56Z\nby: first-use\n");
    auto parsed = parse_policy_pin(text, "pin");
    REQUIRE(parsed.ok());
    CHECK(parsed->policy == pin.policy);
    CHECK(parsed->source == PinSource::first_use);
    CHECK(parse_policy_pin("ssoescrow-policy-pin/2\n", "pin").error().code ==
          Errc::unsupported_version);
    for (const std::string& bad :
         {text.substr(0, text.size() - 1), text + "\n", std::string("x") + text,
          "ssoescrow-policy-pin/1\nvault: 0123456789abcdef0123456789abcdef\npolicy: sha256:" +
              std::string(64, 'A') + "\ntime: 2026-11-26T12:34:56Z\nby: first-use\n",
          "ssoescrow-policy-pin/1\nvault: 0123456789abcdef0123456789abcdef\npolicy: sha256:" +
              std::string(64, 'a') + "\ntime: 2026-11-26T12:34:56Z\nby: guess\n"}) {
        INFO(bad);
        CHECK_FALSE(parse_policy_pin(bad, "pin").ok());
    }

    TempDir tmp;
    const fs::path dir = tmp.path() / "state" / "vault-id";
    CHECK_FALSE(read_policy_pin(dir)->has_value());
    REQUIRE(write_policy_pin(dir, pin).ok());
    auto read = read_policy_pin(dir);
    REQUIRE(read.ok());
    REQUIRE(read->has_value());
    CHECK((*read)->policy == pin.policy);
    CHECK(state_dir_for(tmp.path(), "abc").value() == tmp.path() / "abc");
}
