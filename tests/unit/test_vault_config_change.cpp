// `vault config set` (vault/config_change.hpp): parsing KEY=VALUE, the rules a new value must
// keep, the config-change record and the config written after it, and finishing a change that
// was interrupted between the two.
#include <catch2/catch.hpp>

#include "test_vault_layout_support.hpp"
#include "vault/check.hpp"
#include "vault/config_change.hpp"
#include "vault/writer.hpp"

using namespace vault_test;

namespace {

ConfigChangeOptions options_for(const TempDir& state, std::vector<ConfigSetting> settings,
                                FakeClock& clock) {
    ConfigChangeOptions options;
    options.settings = std::move(settings);
    options.lock.operation = "config-set";
    options.lock.clock = &clock;
    options.writer.state_root = state.path();
    return options;
}

std::vector<ConfigSetting> parsed(std::initializer_list<std::string_view> assignments) {
    std::vector<ConfigSetting> out;
    for (std::string_view a : assignments) {
        auto setting = parse_config_assignment(a);
        REQUIRE(setting.ok());
        out.push_back(*setting);
    }
    return out;
}

}  // namespace

TEST_CASE("config set: assignments are parsed to canonical values", "[vault][config]") {
    auto hours = parse_config_assignment("max-backup-age=48h");
    REQUIRE(hours.ok());
    CHECK(*hours == ConfigSetting{"max-backup-age", "2d"});
    auto count = parse_config_assignment("keep-last=60");
    REQUIRE(count.ok());
    CHECK(*count == ConfigSetting{"keep-last", "60"});

    auto no_eq = parse_config_assignment("max-backup-age");
    REQUIRE_FALSE(no_eq.ok());
    CHECK(no_eq.error().code == Errc::usage);
    auto unknown = parse_config_assignment("colour=blue");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("'colour' is not a setting") != std::string::npos);
    auto security = parse_config_assignment("threshold=1");
    REQUIRE_FALSE(security.ok());
    CHECK(security.error().hint.find("rekey") != std::string::npos);
    CHECK_FALSE(parse_config_assignment("vault-id=00").ok());
    CHECK_FALSE(parse_config_assignment("keep-within=soon").ok());
    CHECK_FALSE(parse_config_assignment("min-retained=-1").ok());
}

TEST_CASE("config set: record field values are canonical only", "[vault][config]") {
    auto ok = parse_setting_field("critical-backup-age 3d");
    REQUIRE(ok.ok());
    CHECK(setting_field_value(*ok) == "critical-backup-age 3d");
    CHECK_FALSE(parse_setting_field("critical-backup-age 72h").ok());
    CHECK_FALSE(parse_setting_field("critical-backup-age").ok());
    CHECK_FALSE(parse_setting_field("policy sha256:00").ok());
}

TEST_CASE("config set: values that break a rule are refused", "[vault][config]") {
    VaultConfig config;
    config.escrow = make_custodians(2, 3).policy;
    // Retention below the freshness windows.
    auto short_retention =
        apply_config_settings(config, parsed({"critical-backup-age=40d", "max-backup-age=2d"}));
    REQUIRE_FALSE(short_retention.ok());
    CHECK(short_retention.error().code == Errc::invalid_argument);
    CHECK(short_retention.error().message.find("min-retention (35d) is shorter than "
                                               "critical-backup-age (40d)") != std::string::npos);
    auto keep_within = apply_config_settings(config, parsed({"keep-within=1d"}));
    REQUIRE_FALSE(keep_within.ok());
    CHECK(keep_within.error().message.find("keep-within (1d)") != std::string::npos);
    // critical below max-backup-age, zero durations, counts out of range.
    CHECK_FALSE(apply_config_settings(config, parsed({"max-backup-age=4d"})).ok());
    CHECK_FALSE(apply_config_settings(config, parsed({"max-drill-age=0s"})).ok());
    CHECK_FALSE(apply_config_settings(config, parsed({"min-retained=0"})).ok());
    // Both limits moved together are accepted; the policy is untouched.
    auto moved = apply_config_settings(
        config, parsed({"critical-backup-age=40d", "min-retention=40d", "keep-within=40d"}));
    REQUIRE(moved.ok());
    CHECK(moved->freshness.critical_backup_age == 40 * k_day);
    CHECK(moved->escrow.fingerprint() == config.escrow.fingerprint());
}

TEST_CASE("config set: record first, then the config: nothing when nothing changes",
          "[vault][config]") {
    TempDir dir;
    TempDir state;
    const Custodians custodians = make_custodians(2, 3);
    const Vault before = make_vault(dir.path() / "v", custodians.policy);
    FakeClock clock(k_t0 + 60);

    auto outcome = change_config(
        before.dir(), options_for(state, parsed({"max-backup-age=2d", "keep-last=60"}), clock));
    REQUIRE(outcome.ok());
    CHECK(outcome->record_seq == 2);
    REQUIRE(outcome->changed.size() == 2);
    CHECK(outcome->before[0] == ConfigSetting{"max-backup-age", "26h"});

    auto after = Vault::open(before.dir());
    REQUIRE(after.ok());
    CHECK(after->config().freshness.max_backup_age == 2 * k_day);
    CHECK(after->config().retention.keep_last == 60);
    CHECK(after->config().escrow.fingerprint() == custodians.policy.fingerprint());
    CHECK(after->config_hash() == outcome->new_config);
    auto chain = read_audit_chain(after->dir(), after->vault_id());
    REQUIRE(chain.ok());
    const AuditRecord& record = chain->records.back().record;
    CHECK(record.type == AuditType::config_change);
    CHECK(record.field("old-config") == before.config_hash());
    CHECK(record.field("new-config") == after->config_hash());
    CHECK(record.fields_named("setting") ==
          std::vector<std::string>{"max-backup-age 2d", "keep-last 60"});
    CHECK(check_config_recorded(*after, *chain).ok());
    auto report = check_vault(*after, CheckOptions{&clock, std::nullopt});
    REQUIRE(report.ok());
    CHECK(report->clean());

    // The same values again: no record, no new config.
    auto again =
        change_config(before.dir(), options_for(state, parsed({"max-backup-age=2d"}), clock));
    REQUIRE(again.ok());
    CHECK(again->changed.empty());
    CHECK(again->record_seq == 0);
    auto unchanged = read_audit_chain(after->dir(), after->vault_id());
    REQUIRE(unchanged.ok());
    CHECK(unchanged->records.size() == 2);

    // A refused value writes nothing.
    auto refused =
        change_config(before.dir(), options_for(state, parsed({"keep-within=1d"}), clock));
    REQUIRE_FALSE(refused.ok());
    auto still = read_audit_chain(after->dir(), after->vault_id());
    REQUIRE(still.ok());
    CHECK(still->records.size() == 2);
}

TEST_CASE("config set: an interrupted change is reported and finished by the next run",
          "[vault][config]") {
    TempDir dir;
    TempDir state;
    const Custodians custodians = make_custodians(2, 3);
    const Vault opened = make_vault(dir.path() / "v", custodians.policy);
    FakeClock clock(k_t0 + 60);
    const std::string old_config = read_text(opened.config_path());

    REQUIRE(
        change_config(opened.dir(), options_for(state, parsed({"max-drill-age=30d"}), clock)).ok());
    // Put the old config back: what a crash between the record and the config write leaves.
    const std::string new_config = read_text(opened.config_path());
    write_text(opened.config_path(), old_config);

    auto interrupted = Vault::open(opened.dir());
    REQUIRE(interrupted.ok());
    auto report = check_vault(*interrupted, CheckOptions{&clock, std::nullopt});
    REQUIRE(report.ok());
    REQUIRE(report->findings.size() == 1);
    CHECK(report->findings[0].code == "config-change-incomplete");
    CHECK_FALSE(report->damaged());
    // Other writers refuse, naming the way out.
    auto chain = read_audit_chain(interrupted->dir(), interrupted->vault_id());
    REQUIRE(chain.ok());
    auto refused = check_config_recorded(*interrupted, *chain);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().hint.find("vault config set") != std::string::npos);

    // The next `vault config set`, even without settings, finishes it from the record.
    auto finished = change_config(opened.dir(), options_for(state, {}, clock));
    REQUIRE(finished.ok());
    CHECK(finished->finished_seq == 2);
    CHECK(finished->changed.empty());
    CHECK(read_text(opened.config_path()) == new_config);
    auto done = Vault::open(opened.dir());
    REQUIRE(done.ok());
    auto clean = check_vault(*done, CheckOptions{&clock, std::nullopt});
    REQUIRE(clean.ok());
    CHECK(clean->clean());
}

TEST_CASE("config set: a record whose settings do not give its config is not finished",
          "[vault][config]") {
    TempDir dir;
    TempDir state;
    const Custodians custodians = make_custodians(2, 3);
    const Vault opened = make_vault(dir.path() / "v", custodians.policy);
    FakeClock clock(k_t0 + 60);
    auto chain = read_audit_chain(opened.dir(), opened.vault_id());
    REQUIRE(chain.ok());
    // A forged record announcing a config its settings do not produce.
    AuditRecord forged;
    forged.type = AuditType::config_change;
    forged.time = k_t0 + 30;
    forged.actor = "attacker@elsewhere";
    forged.fields = {{"old-config", opened.config_hash()},
                     {"new-config", std::string(64, 'a')},
                     {"policy", custodians.policy.fingerprint()},
                     {"setting", "keep-last 1"}};
    REQUIRE(append_audit_record(opened.dir(), *chain, forged).ok());
    const std::string config_before = read_text(opened.config_path());
    auto refused = change_config(opened.dir(), options_for(state, {}, clock));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::vault_damaged);
    CHECK(read_text(opened.config_path()) == config_before);
}

TEST_CASE("config set: a config-change record that changes the policy is damage",
          "[vault][config]") {
    TempDir dir;
    TempDir state;
    const Custodians custodians = make_custodians(2, 3);
    const Custodians others = make_custodians(2, 3, "other");
    const Vault opened = make_vault(dir.path() / "v", custodians.policy);
    FakeClock clock(k_t0 + 60);
    auto chain = read_audit_chain(opened.dir(), opened.vault_id());
    REQUIRE(chain.ok());
    // Someone who can write the vault swaps in their custodians and "records" it as a settings
    // change, with a config that matches the record.
    VaultConfig swapped = opened.config();
    swapped.escrow = others.policy;
    const std::string bytes = swapped.serialise();
    AuditRecord forged;
    forged.type = AuditType::config_change;
    forged.time = k_t0 + 30;
    forged.actor = "attacker@elsewhere";
    forged.fields = {{"old-config", opened.config_hash()},
                     {"new-config", audit_hash(bytes)},
                     {"policy", others.policy.fingerprint()},
                     {"setting", "keep-last 35"}};
    REQUIRE(append_audit_record(opened.dir(), *chain, forged).ok());
    write_text(opened.config_path(), bytes);

    auto reopened = Vault::open(opened.dir());
    REQUIRE(reopened.ok());
    auto report = check_vault(*reopened, CheckOptions{&clock, std::nullopt});
    REQUIRE(report.ok());
    REQUIRE(report->findings.size() == 1);
    CHECK(report->findings[0].code == "config-change-policy");
    CHECK(report->damaged());
    auto reread = read_audit_chain(reopened->dir(), reopened->vault_id());
    REQUIRE(reread.ok());
    auto refused = check_config_recorded(*reopened, *reread);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::vault_damaged);
    CHECK(refused.error().message.find("changes the escrow policy") != std::string::npos);
}
