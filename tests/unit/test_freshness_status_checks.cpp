// The status checks (src/freshness/status_checks.hpp), one by one, on hand-made inputs: every
// state each check can report, the evidence it names, and the state ordering.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "src/freshness/status_checks.hpp"
#include "src/freshness/status_report.hpp"

using namespace ssoescrow;
using namespace ssoescrow::freshness;

namespace {

constexpr std::int64_t k_now = 1782864000;  // 2026-07-01T00:00:00Z
constexpr std::int64_t k_hour = 3600;
constexpr std::int64_t k_day = 86400;
const std::string k_msid_a = "{AAAAAAAA-0000-4000-8000-000000000001}";
const std::string k_msid_b = "{BBBBBBBB-0000-4000-8000-000000000002}";
const std::string k_policy = "sha256:" + std::string(64, 'a');

StatusInput base_input() {
    StatusInput in;
    in.vault = "/srv/vault";
    in.vault_id = std::string(32, '1');
    in.now = k_now;
    in.wall_now = k_now;
    in.vault_created = k_now - 100 * k_day;
    in.threshold = 2;
    in.recipients = {"fp-alice", "fp-bob", "fp-carol"};
    in.recipient_labels = {"alice", "bob", "carol"};
    in.policy_fingerprint = k_policy;
    in.integrity_checked = true;
    return in;
}

StatusBackup backup(const std::string& id, std::int64_t created, const std::string& msid,
                    std::uint64_t seq, bool usable = true, const std::string& computer = "BTS01") {
    StatusBackup b;
    b.id = id;
    b.created = created;
    b.recorded = created;
    b.kind = "backup";
    b.computer = computer;
    b.current_msid = msid;
    b.policy = k_policy;
    b.seq = seq;
    b.state = usable ? "verified" : "missing";
    b.usable = usable;
    return b;
}

vault::ChainRecord record(vault::AuditType type, std::int64_t time, std::uint64_t seq,
                          std::vector<vault::AuditField> fields) {
    vault::ChainRecord c;
    c.record.type = type;
    c.record.time = time;
    c.record.seq = seq;
    c.record.fields = std::move(fields);
    return c;
}

vault::ChainRecord sealing(const StatusBackup& b) {
    return record(vault::AuditType::backup, b.recorded, b.seq,
                  {{"backup", b.id},
                   {"computer", b.computer},
                   {"current-msid", b.current_msid},
                   {"policy", b.policy}});
}

vault::ChainRecord restore_on(const std::string& node, const std::string& msid, std::int64_t time,
                              std::uint64_t seq, bool drill = false) {
    return record(drill ? vault::AuditType::drill : vault::AuditType::restore, time, seq,
                  {{"backup", std::string(32, 'b')},
                   {"request", std::string(32, 'c')},
                   {"node", node},
                   {"msid", msid},
                   {"custodian", "fp-alice"},
                   {"custodian", "fp-bob"}});
}

vault::RestoreReceipt drill_at(std::int64_t time) {
    vault::RestoreReceipt r;
    r.drill = true;
    r.time = time;
    r.node = "DR01";
    r.msid = k_msid_a;
    r.backup_id = std::string(32, 'd');
    r.request_id = std::string(32, 'e');
    r.custodians = {"fp-alice", "fp-bob"};
    r.seq = 9;
    return r;
}

bridge::ServerStatus live_server(const std::string& msid) {
    bridge::ServerStatus s;
    s.computer = "SSO1";
    s.secret_server = "SSO1";
    s.is_secret_server = true;
    s.current_msid = msid;
    s.service_state = "running";
    return s;
}

const Metric* find_metric(const CheckResult& r, const std::string& name) {
    for (const Metric& m : r.metrics) {
        if (m.name == name)
            return &m;
    }
    return nullptr;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("status states rank OK and N/A below WARNING below UNKNOWN below CRITICAL",
          "[freshness][status]") {
    CHECK(worse(CheckState::ok, CheckState::warning) == CheckState::warning);
    CHECK(worse(CheckState::warning, CheckState::unknown) == CheckState::unknown);
    CHECK(worse(CheckState::unknown, CheckState::critical) == CheckState::critical);
    CHECK(worse(CheckState::critical, CheckState::unknown) == CheckState::critical);
    CHECK(worse(CheckState::ok, CheckState::not_applicable) == CheckState::ok);
    CHECK(state_exit_code(CheckState::ok) == 0);
    CHECK(state_exit_code(CheckState::not_applicable) == 0);
    CHECK(state_exit_code(CheckState::warning) == 1);
    CHECK(state_exit_code(CheckState::critical) == 2);
    CHECK(state_exit_code(CheckState::unknown) == 3);
    CHECK(human_duration(-5) == "0s");
    CHECK(human_duration(93784) == "1d 2h");
    CHECK(human_duration(3720) == "1h 2m");
    CHECK(human_duration(61) == "1m 1s");
}

TEST_CASE("backup-age: none, fresh, over the warning and the critical age, in the future",
          "[freshness][status]") {
    StatusInput in = base_input();
    SECTION("no backup at all is CRITICAL") {
        const CheckResult r = check_backup_age(in);
        CHECK(r.state == CheckState::critical);
        CHECK(contains(r.summary, "no backup in the vault"));
        CHECK(contains(r.fix, "ssoescrow backup --vault /srv/vault"));
        CHECK(find_metric(r, "backup_age_seconds") == nullptr);
    }
    SECTION("only unusable backups is CRITICAL and names them") {
        in.backups.push_back(backup(std::string(32, '1'), k_now - k_hour, k_msid_a, 2, false));
        const CheckResult r = check_backup_age(in);
        CHECK(r.state == CheckState::critical);
        CHECK(contains(r.summary, "no verified backup"));
        CHECK(r.evidence["unusable_backups"].size() == 1);
    }
    SECTION("thresholds from the policy") {
        in.backups.push_back(backup(std::string(32, '1'), k_now - 5 * k_day, k_msid_a, 2));
        in.backups.push_back(backup(std::string(32, '2'), k_now - 2 * k_hour, k_msid_a, 3));
        CheckResult r = check_backup_age(in);
        CHECK(r.state == CheckState::ok);
        CHECK(r.observed == "2h 0m");
        CHECK(r.evidence["backup"]["id"] == std::string(32, '2'));
        const Metric* age = find_metric(r, "backup_age_seconds");
        REQUIRE(age != nullptr);
        CHECK(age->value == 2 * k_hour);
        // Monitoring Plugins ranges: "N" alerts above N.
        CHECK(age->warn_range == std::to_string(26 * k_hour));
        CHECK(age->crit_range == std::to_string(3 * k_day));

        in.now = k_now + 25 * k_hour;  // 27 h old
        r = check_backup_age(in);
        CHECK(r.state == CheckState::warning);
        CHECK(contains(r.summary, "over max-backup-age 26h"));
        CHECK_FALSE(r.fix.empty());

        in.now = k_now + 3 * k_day;  // 3 d 2 h
        r = check_backup_age(in);
        CHECK(r.state == CheckState::critical);
        CHECK(contains(r.summary, "over critical-backup-age 3d"));

        in.policy.critical_backup_age = 10 * k_day;  // an override
        r = check_backup_age(in);
        CHECK(r.state == CheckState::warning);
    }
    SECTION("a backup dated in the future is UNKNOWN, never a negative age") {
        in.backups.push_back(backup(std::string(32, '1'), k_now + 2 * k_day, k_msid_a, 2));
        const CheckResult r = check_backup_age(in);
        CHECK(r.state == CheckState::unknown);
        CHECK(contains(r.summary, "in the future"));
        CHECK(find_metric(r, "backup_age_seconds") == nullptr);
    }
    SECTION("a few seconds of skew is tolerated and reads as age 0") {
        in.backups.push_back(backup(std::string(32, '1'), k_now + 60, k_msid_a, 2));
        const CheckResult r = check_backup_age(in);
        CHECK(r.state == CheckState::ok);
        CHECK(find_metric(r, "backup_age_seconds")->value == 0);
    }
}

TEST_CASE("effective_policy applies the overrides and refuses inconsistent ones",
          "[freshness][status]") {
    const vault::FreshnessPolicy base;
    PolicyOverrides o;
    o.max_backup_age = 2 * k_day;
    o.critical_backup_age = 7 * k_day;
    o.min_retained = 3;
    auto p = effective_policy(base, o);
    REQUIRE(p.ok());
    CHECK(p->max_backup_age == 2 * k_day);
    CHECK(p->critical_backup_age == 7 * k_day);
    CHECK(p->min_retained == 3);
    CHECK(p->max_drill_age == 90 * k_day);
    o.critical_backup_age = k_day;
    auto bad = effective_policy(base, o);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == Errc::usage);
    CHECK(contains(bad.error().message, "critical-backup-age 1d is below max-backup-age 2d"));
}

TEST_CASE("msid-current: vault source, live secret without a backup, passive node, bridge failure",
          "[freshness][status]") {
    StatusInput in = base_input();
    const StatusBackup old_backup = backup(std::string(32, '1'), k_now - 2 * k_day, k_msid_a, 2);
    in.backups.push_back(old_backup);
    in.records.push_back(sealing(old_backup));

    SECTION("no bridge: the newest recorded MSID has a verified backup") {
        const CheckResult r = check_msid_current(in);
        CHECK(r.state == CheckState::ok);
        CHECK(r.evidence["live_msid_source"] == "vault");
        CHECK(find_metric(r, "msid_current")->value == 1);
    }
    SECTION("no bridge: the newest recorded MSID's backup is missing") {
        StatusBackup lost = backup(std::string(32, '2'), k_now - k_day, k_msid_b, 3, false);
        in.backups.push_back(lost);
        const CheckResult r = check_msid_current(in);
        CHECK(r.state == CheckState::critical);
        CHECK(contains(r.summary, k_msid_b));
        CHECK(contains(r.summary, k_msid_a));
        CHECK(contains(r.summary, "missing or damaged"));
    }
    SECTION("bridge: a secret generated without a backup is CRITICAL naming both MSIDs") {
        in.bridge_given = true;
        in.live = live_server(k_msid_b);
        in.live->previous_msid = k_msid_a;
        const CheckResult r = check_msid_current(in);
        CHECK(r.state == CheckState::critical);
        CHECK(
            contains(r.summary, "the live master secret " + k_msid_b + " has no verified backup"));
        CHECK(contains(r.summary, "the newest backup holds " + k_msid_a));
        CHECK(contains(r.summary, "generated without a backup"));
        CHECK(contains(r.fix, "ssoescrow backup --vault /srv/vault"));
        CHECK(find_metric(r, "msid_current")->value == 0);
    }
    SECTION("bridge: MSIDs compare without regard to case or braces") {
        in.bridge_given = true;
        in.live = live_server("aaaaaaaa-0000-4000-8000-000000000001");
        CHECK(check_msid_current(in).state == CheckState::ok);
    }
    SECTION("bridge: the live secret is older than the newest backup") {
        in.backups.push_back(backup(std::string(32, '2'), k_now - k_day, k_msid_b, 3));
        in.bridge_given = true;
        in.live = live_server(k_msid_a);
        const CheckResult r = check_msid_current(in);
        CHECK(r.state == CheckState::warning);
        CHECK(contains(r.summary, "newest backup " + std::string(32, '2') + " holds " + k_msid_b));
    }
    SECTION("bridge on a computer that is not the secret server: UNKNOWN naming it") {
        in.bridge_given = true;
        in.live = live_server(k_msid_a);
        in.live->computer = "NODE2";
        in.live->secret_server = "SSOCLUSTER";
        in.live->is_secret_server = false;
        const CheckResult r = check_msid_current(in);
        CHECK(r.state == CheckState::unknown);
        CHECK(contains(r.summary, "NODE2 is not the master secret server"));
        CHECK(contains(r.fix, "SSOCLUSTER"));
    }
    SECTION("the secret server holds no secret: CRITICAL") {
        in.bridge_given = true;
        in.live = live_server(k_msid_a);
        in.live->current_msid.reset();
        CHECK(check_msid_current(in).state == CheckState::critical);
    }
    SECTION("bridge failure: UNKNOWN with the error") {
        in.bridge_given = true;
        in.live_error = "the bridge did not answer within 60 s";
        const CheckResult r = check_msid_current(in);
        CHECK(r.state == CheckState::unknown);
        CHECK(contains(r.summary, "did not answer"));
    }
    SECTION("only imports without MSIDs: UNKNOWN, never current") {
        in.backups = {backup(std::string(32, '3'), k_now - k_day, "unknown", 2)};
        CHECK(check_msid_current(in).state == CheckState::unknown);
        in.backups.clear();
        CHECK(check_msid_current(in).state == CheckState::critical);
    }
}

TEST_CASE("msid-current: an imported (typed) password is unproven until a restore used it",
          "[freshness][status]") {
    StatusInput in = base_input();
    in.bridge_given = true;
    in.live = live_server(k_msid_a);
    const StatusBackup generated = backup(std::string(32, '1'), k_now - 3 * k_day, k_msid_a, 2);
    StatusBackup imported = backup(std::string(32, '2'), k_now - k_day, k_msid_a, 3);
    imported.kind = "import";
    imported.password = "typed";
    in.backups = {generated, imported};

    SECTION("the newest backup of the live MSID was imported: WARNING, evidence says why") {
        const CheckResult r = check_msid_current(in);
        CHECK(r.state == CheckState::warning);
        CHECK(contains(r.summary, "password is unproven (typed at import"));
        CHECK(contains(r.fix, "--drill-server"));
        CHECK(r.evidence["password_of_live_backup"]["backup"] == imported.id);
        CHECK(r.evidence["password_of_live_backup"]["origin"] == "typed");
        CHECK(r.evidence["password_of_live_backup"]["proven"] == false);
        CHECK(r.evidence["password_of_live_backup"]["proven_by"].is_null());
    }
    SECTION("a restore (or drill-server drill) that used it proves it") {
        in.backups[1].password_proof_seq = 9;
        in.backups[1].password_proof_time = k_now - 3600;
        in.backups[1].password_proof_node = "DRILL1";
        const CheckResult r = check_msid_current(in);
        CHECK(r.state == CheckState::ok);
        CHECK(r.evidence["password_of_live_backup"]["proven"] == true);
        CHECK(r.evidence["password_of_live_backup"]["proven_by"]["node"] == "DRILL1");
        CHECK(r.evidence["password_of_live_backup"]["proven_by"]["audit_seq"] == 9);
    }
    SECTION("an adopted orphan's password is of unknown origin, unproven too") {
        in.backups[1].kind = "adopt";
        in.backups[1].password = "unknown";
        const CheckResult r = check_msid_current(in);
        CHECK(r.state == CheckState::warning);
        CHECK(contains(r.summary, "origin unknown"));
    }
    SECTION("a newer generated backup of the live MSID makes the import irrelevant") {
        in.backups.push_back(backup(std::string(32, '3'), k_now - 3600, k_msid_a, 4));
        CHECK(check_msid_current(in).state == CheckState::ok);
    }
}

TEST_CASE("drill-age: never, recent, overdue, in the future", "[freshness][status]") {
    StatusInput in = base_input();
    CheckResult r = check_drill_age(in);
    CHECK(r.state == CheckState::warning);
    CHECK(r.observed == "never");
    CHECK(contains(r.fix, "restore apply --drill"));

    in.drills.push_back(drill_at(k_now - 100 * k_day));
    in.drills.push_back(drill_at(k_now - 10 * k_day));
    r = check_drill_age(in);
    CHECK(r.state == CheckState::ok);
    CHECK(r.evidence["newest"]["node"] == "DR01");
    CHECK(r.evidence["newest"]["time"] == vault::format_time(k_now - 10 * k_day));
    CHECK(find_metric(r, "drill_age_seconds")->value == 10 * k_day);

    in.now = k_now + 81 * k_day;  // 91 days after the newest drill
    r = check_drill_age(in);
    CHECK(r.state == CheckState::warning);
    CHECK(contains(r.summary, "over max-drill-age 90d"));

    in.now = k_now;
    in.drills.push_back(drill_at(k_now + 30 * k_day));
    CHECK(check_drill_age(in).state == CheckState::unknown);
}

TEST_CASE("drill-age: an extraction is not a drill", "[freshness][status]") {
    StatusInput in = base_input();
    vault::RestoreReceipt extraction = drill_at(k_now - 3600);
    extraction.drill = false;
    extraction.node = "extract@BTS01";
    extraction.purpose = "extract";
    in.drills.push_back(extraction);
    CheckResult r = check_drill_age(in);
    CHECK(r.state == CheckState::warning);
    CHECK(r.observed == "never");
    CHECK(find_metric(r, "drills_recorded")->value == 0);

    in.drills.insert(in.drills.begin(), drill_at(k_now - 100 * k_day));
    r = check_drill_age(in);
    CHECK(r.state == CheckState::warning);
    CHECK(contains(r.summary, "over max-drill-age 90d"));
    CHECK(r.evidence["newest"]["node"] == "DR01");
    CHECK(find_metric(r, "drills_recorded")->value == 1);
}

TEST_CASE("retention: capped by the vault's history, short counts and short reach warn",
          "[freshness][status]") {
    StatusInput in = base_input();
    SECTION("no backup yet: not applicable") {
        CHECK(check_retention(in).state == CheckState::not_applicable);
    }
    SECTION("a young vault with every backup kept is OK") {
        for (int d = 0; d < 3; ++d)
            in.backups.push_back(
                backup(std::string(31, 'a') + char('0' + d), k_now - d * k_day, k_msid_a, 2 + d));
        const CheckResult r = check_retention(in);
        CHECK(r.state == CheckState::ok);
        CHECK(r.evidence["required_count"] == 3);
    }
    SECTION("seven recorded, three verified: WARNING") {
        for (int d = 0; d < 7; ++d)
            in.backups.push_back(backup(std::string(31, 'a') + char('0' + d), k_now - d * k_day,
                                        k_msid_a, 2 + d, d < 3));
        const CheckResult r = check_retention(in);
        CHECK(r.state == CheckState::warning);
        CHECK(contains(r.summary, "only 3 verified backups, at least 7 expected"));
    }
    SECTION("daily backups kept 35 days are OK; a vault pruned to 10 days is not") {
        for (int d = 0; d < 60; ++d) {
            in.backups.push_back(backup("b" + std::to_string(d), k_now - d * k_day, k_msid_a,
                                        2 + static_cast<std::uint64_t>(d), d < 35));
        }
        CHECK(check_retention(in).state == CheckState::ok);
        for (int d = 10; d < 35; ++d)
            in.backups[static_cast<std::size_t>(d)].usable = false;
        const CheckResult r = check_retention(in);
        CHECK(r.state == CheckState::warning);
        CHECK(contains(r.summary, "the oldest verified backup is 9d 0h old"));
    }
}

TEST_CASE("cluster-coverage: not applicable, standalone, missing node named, complete",
          "[freshness][status]") {
    StatusInput in = base_input();
    const StatusBackup b = backup(std::string(32, '1'), k_now - k_hour, k_msid_a, 2, true, "NODE1");
    in.backups.push_back(b);
    in.records.push_back(sealing(b));
    SECTION("without a bridge") {
        const CheckResult r = check_cluster_coverage(in);
        CHECK(r.state == CheckState::not_applicable);
        CHECK(r.evidence["machines_holding_it"] == nlohmann::ordered_json::array({"NODE1"}));
    }
    SECTION("standalone secret server") {
        in.bridge_given = true;
        in.live = live_server(k_msid_a);
        CHECK(check_cluster_coverage(in).state == CheckState::not_applicable);
    }
    SECTION("cluster") {
        in.bridge_given = true;
        in.live = live_server(k_msid_a);
        in.live->computer = "NODE1";
        in.live->cluster = bridge::ClusterInfo{
            "CLU", "NODE1", "SSO", "NODE1", {"NODE1", "NODE2", "NODE3"}, "online"};
        // A drill proves nothing about a node's registry; a restore of an older MSID neither.
        in.records.push_back(restore_on("NODE2", k_msid_a, k_now - k_hour, 3, true));
        in.records.push_back(restore_on("NODE3", k_msid_b, k_now - k_hour, 4));
        CheckResult r = check_cluster_coverage(in);
        CHECK(r.state == CheckState::critical);
        CHECK(contains(r.summary, "nodes NODE2, NODE3 of group SSO"));
        CHECK(r.evidence["missing"] == nlohmann::ordered_json::array({"NODE2", "NODE3"}));
        CHECK(find_metric(r, "cluster_nodes_missing_secret")->value == 2);
        // Critical as soon as one node lacks the secret: the range "0" alerts above 0.
        CHECK(find_metric(r, "cluster_nodes_missing_secret")->crit_range == "0");

        in.records.push_back(restore_on("node2.contoso.com", k_msid_a, k_now, 5));
        in.records.push_back(restore_on("NODE3", "aaaaaaaa-0000-4000-8000-000000000001", k_now, 6));
        r = check_cluster_coverage(in);
        CHECK(r.state == CheckState::ok);
        CHECK(r.observed == "3 of 3 nodes");
    }
}

TEST_CASE("node_receipts: restores and backup sources count, drills and unknowns do not",
          "[freshness][status]") {
    std::vector<vault::ChainRecord> records;
    records.push_back(restore_on("NODE1", k_msid_a, k_now, 2, true));
    records.push_back(restore_on("NODE2", k_msid_a, k_now, 3));
    StatusBackup imported = backup(std::string(32, '1'), k_now, "unknown", 4, true, "unknown");
    records.push_back(sealing(imported));
    records.push_back(sealing(backup(std::string(32, '2'), k_now, k_msid_b, 5, true, "NODE3")));
    const auto receipts = node_receipts(records);
    REQUIRE(receipts.size() == 2);
    CHECK(receipts[0].node == "NODE2");
    CHECK(receipts[1].node == "NODE3");
    CHECK(receipts[1].msid == k_msid_b);
    CHECK(receipts[1].backup_id == std::string(32, '2'));
}

TEST_CASE("escrow-health: spare custodian, all needed, newest sealed to another policy",
          "[freshness][status]") {
    StatusInput in = base_input();
    in.records.push_back(record(vault::AuditType::vault_init, k_now - 100 * k_day, 1,
                                {{"custodian", "fp-alice"}, {"custodian", "fp-bob"}}));
    in.backups.push_back(backup(std::string(32, '1'), k_now - k_hour, k_msid_a, 2));
    CheckResult r = check_escrow_health(in);
    CHECK(r.state == CheckState::ok);
    CHECK(r.observed == "2 of 3 custodians");
    CHECK(r.evidence["custodians"][0]["in_policy_since"] ==
          vault::format_time(k_now - 100 * k_day));
    CHECK(r.evidence["custodians"][2]["in_policy_since"].is_null());

    in.threshold = 3;
    r = check_escrow_health(in);
    CHECK(r.state == CheckState::warning);
    CHECK(contains(r.summary, "every one of the 3 custodians is needed"));

    in.threshold = 2;
    in.backups.back().policy = "sha256:" + std::string(64, 'b');
    r = check_escrow_health(in);
    CHECK(r.state == CheckState::warning);
    CHECK(contains(r.summary, "not the current policy"));
    CHECK(r.evidence["backups_sealed_to_other_policies"] == 1);
}

namespace {

vault::ChainRecord departure(const std::string& fp, std::int64_t time, std::uint64_t seq,
                             bool reinstated = false) {
    vault::ChainRecord c = record(
        reinstated ? vault::AuditType::custodian_reinstated : vault::AuditType::custodian_departed,
        time, seq, {{"custodian", fp}, {"reason", "left the company"}});
    c.record.actor = "ops@bts01";
    return c;
}

StatusInput departure_input() {
    StatusInput in = base_input();
    in.records.push_back(record(vault::AuditType::vault_init, k_now - 100 * k_day, 1,
                                {{"policy", k_policy},
                                 {"threshold", "2"},
                                 {"custodian", "fp-alice"},
                                 {"custodian", "fp-bob"},
                                 {"custodian", "fp-carol"}}));
    for (int i = 0; i < 3; ++i) {
        StatusBackup b = backup(std::string(32, static_cast<char>('1' + i)),
                                k_now - (30 - 10 * i) * k_day, k_msid_a, 2 + i);
        b.custodians = {"fp-alice", "fp-bob", "fp-carol"};
        b.threshold = 2;
        in.backups.push_back(b);
    }
    return in;
}

}  // namespace

TEST_CASE("escrow-health: a departed custodian needs a rekey: too few left is CRITICAL",
          "[freshness][status]") {
    StatusInput in = departure_input();
    CheckResult r = check_escrow_health(in);
    CHECK(r.state == CheckState::ok);
    CHECK(find_metric(r, "custodians_departed")->value == 0);
    CHECK(find_metric(r, "backups_sealed_to_departed")->value == 0);
    CHECK(r.evidence["custodians"][2]["departed"].is_null());

    // carol leaves: every retained backup still holds her share, and so will every new one.
    in.records.push_back(departure("fp-carol", k_now - 5 * k_day, 5));
    r = check_escrow_health(in);
    CHECK(r.state == CheckState::warning);
    CHECK(r.observed == "2 of 3 custodians, 2 still here");
    CHECK(contains(r.summary,
                   "the current policy still seals every new backup to departed "
                   "custodian carol (fp-carol) (rekey needed)"));
    CHECK(contains(r.summary, "3 retained backups are sealed to departed custodian carol"));
    CHECK(contains(r.summary, "every one of the 2 custodians still here is needed"));
    CHECK(contains(r.fix, "Rekey: 'ssoescrow rekey request --vault "));
    CHECK(contains(r.fix, "then run 'ssoescrow rotate'"));
    CHECK_FALSE(r.evidence.contains("rekey_awaiting_proof"));
    // A ceremony already awaits the new custodians' proofs: the fix is to finish that one.
    StatusInput awaiting = in;
    awaiting.rekey_awaiting =
        vault::RekeyAwaitingProof{std::string(32, 'a'), "vault-id", k_now + k_day};
    const CheckResult pending = check_escrow_health(awaiting);
    CHECK(pending.state == CheckState::warning);
    CHECK(contains(pending.fix, "awaits proof from the new custodians until"));
    CHECK(contains(pending.fix, "'ssoescrow rekey prove RKREQ"));
    CHECK_FALSE(contains(pending.fix, "Rekey: 'ssoescrow rekey request --vault "));
    CHECK(pending.evidence["rekey_awaiting_proof"]["request"] == std::string(32, 'a'));
    CHECK(find_metric(r, "custodians_departed")->value == 1);
    CHECK(find_metric(r, "backups_sealed_to_departed")->value == 3);
    CHECK(r.evidence["custodians"][2]["departed"]["reason"] == "left the company");
    CHECK(r.evidence["custodians"][2]["departed"]["time"] == vault::format_time(k_now - 5 * k_day));
    CHECK(r.evidence["custodians"][2]["departed"]["audit_seq"] == 5);
    REQUIRE(r.evidence["backups_sealed_to_departed"].size() == 3);
    CHECK(r.evidence["backups_sealed_to_departed"][0]["departed_custodians"][0] == "fp-carol");
    CHECK(r.evidence["backups_sealed_to_departed"][0]["openable_without_departed"] == true);

    // A pruned (unusable) backup is not counted; as of before the departure nothing is flagged.
    in.backups[0].usable = false;
    CHECK(find_metric(check_escrow_health(in), "backups_sealed_to_departed")->value == 2);
    StatusInput before = in;
    before.records.pop_back();
    CHECK(check_escrow_health(before).state == CheckState::ok);

    // bob leaves too: fewer than K remain; the newest backup cannot be opened without them.
    in.records.push_back(departure("fp-bob", k_now - k_day, 6));
    r = check_escrow_health(in);
    CHECK(r.state == CheckState::critical);
    CHECK(contains(r.summary, "only 1 of the 3 custodians is still here (threshold 2)"));
    CHECK(contains(r.summary, "the newest backup " + std::string(32, '3') +
                                  " cannot be opened without a departed custodian (1 of the 2 "
                                  "needed is still here)"));
    CHECK(find_metric(r, "custodians_departed")->value == 2);

    // Reinstating bob (recorded in error) brings it back to WARNING.
    in.records.push_back(departure("fp-bob", k_now, 7, true));
    CHECK(check_escrow_health(in).state == CheckState::warning);

    // A departed custodian outside the current policy who still holds a share of a backup.
    StatusInput moved = departure_input();
    moved.recipients = {"fp-alice", "fp-bob", "fp-dave"};
    moved.recipient_labels = {"alice", "bob", "dave"};
    moved.records.push_back(departure("fp-carol", k_now - 5 * k_day, 5));
    r = check_escrow_health(moved);
    CHECK(r.state == CheckState::warning);
    CHECK(contains(r.summary, "3 retained backups are sealed to departed custodian fp-carol"));
    CHECK_FALSE(contains(r.summary, "current policy still seals"));
}

TEST_CASE("escrow-health: keys in the policy longer than max-key-age", "[freshness][status]") {
    StatusInput in = departure_input();  // vault-init 100 days ago
    CheckResult r = check_escrow_health(in);
    CHECK(r.state == CheckState::ok);
    CHECK(r.evidence["max_key_age"] == "730d");
    CHECK(find_metric(r, "custodian_key_age_max_seconds")->value == 100 * k_day);
    CHECK(find_metric(r, "custodian_key_age_limit_seconds")->value == 730 * k_day);
    CHECK(r.evidence["custodians"][0]["key_age_seconds"] == 100 * k_day);

    in.policy.max_key_age = 90 * k_day;
    r = check_escrow_health(in);
    CHECK(r.state == CheckState::warning);
    CHECK(contains(r.summary,
                   "keys in the policy longer than 90d (max-key-age): alice (fp-alice) "
                   "for 100d 0h"));
    CHECK(contains(r.fix, "ssoescrow custodian keygen"));
    // A departed custodian's key is reported as departed, not as old.
    in.records.push_back(departure("fp-carol", k_now - k_day, 5));
    r = check_escrow_health(in);
    CHECK_FALSE(contains(r.summary, "carol (fp-carol) for"));
    // At exactly the limit it is still fine.
    in.policy.max_key_age = 100 * k_day;
    in.records.pop_back();
    CHECK(check_escrow_health(in).state == CheckState::ok);
}

TEST_CASE("vault-integrity and clock-sanity split the vault check findings",
          "[freshness][status]") {
    StatusInput in = base_input();
    CHECK(check_vault_integrity(in).state == CheckState::ok);
    CHECK(check_clock_sanity(in).state == CheckState::ok);

    in.integrity.push_back({vault::Severity::warning, "lock-held", "locks/writer.lock", "held"});
    CHECK(check_vault_integrity(in).state == CheckState::ok);

    in.integrity.push_back(
        {vault::Severity::warning, "time-in-future", "audit/0000000003-x.rec", "recorded at"});
    CHECK(check_vault_integrity(in).state == CheckState::ok);
    CheckResult clock = check_clock_sanity(in);
    CHECK(clock.state == CheckState::warning);
    CHECK(contains(clock.summary, "1 timestamp(s) in the future: audit/0000000003-x.rec"));
    CHECK(find_metric(clock, "future_timestamps")->value == 1);

    in.integrity.push_back(
        {vault::Severity::warning, "envelope-orphan", "envelopes/x.envelope", "no record"});
    CHECK(check_vault_integrity(in).state == CheckState::warning);
    in.integrity.push_back(
        {vault::Severity::damaged, "audit-chain-broken", "audit/0000000002-y.rec", "replaced"});
    const CheckResult r = check_vault_integrity(in);
    CHECK(r.state == CheckState::critical);
    CHECK(contains(r.summary, "audit-chain-broken audit/0000000002-y.rec"));
    CHECK(r.evidence["findings"].size() == 3);

    in.integrity_checked = false;
    CHECK(check_vault_integrity(in).state == CheckState::unknown);
}

TEST_CASE("status formats: worst first, one Nagios line, Prometheus families",
          "[freshness][status]") {
    StatusInput in = base_input();
    const StatusBackup b = backup(std::string(32, '1'), k_now - 30 * k_hour, k_msid_a, 2);
    in.backups.push_back(b);
    in.records.push_back(sealing(b));
    Collected collected;
    collected.input = in;
    collected.secret_server = "SSO\"1";
    StatusRun run;
    run.evaluated_at = k_now;
    run.vaults.push_back(evaluate(collected));
    CHECK(run.overall() == CheckState::warning);
    CHECK(run.exit_code() == 1);

    const auto sorted = worst_first(run.vaults[0]);
    CHECK(sorted.front()->state == CheckState::warning);
    CHECK(sorted.back()->state == CheckState::not_applicable);

    const std::string text = format_text(run);
    CHECK(text.rfind("WARNING  ", 0) == 0);
    CHECK(contains(text, "status WARNING: vault /srv/vault"));
    CHECK(contains(text, "what to do:\n  backup-age: "));

    const std::string nagios = format_nagios(run);
    CHECK(nagios.rfind("SSOESCROW WARNING - ", 0) == 0);
    CHECK(std::count(nagios.begin(), nagios.end(), '\n') == 1);
    CHECK(std::count(nagios.begin(), nagios.end(), '|') == 1);
    CHECK(contains(nagios, "backup_age=108000s;93600;259200;0"));

    const std::string prom = format_prometheus(run);
    CHECK(contains(prom, "# TYPE ssoescrow_backup_age_seconds gauge\n"));
    CHECK(contains(
        prom,
        "ssoescrow_backup_age_seconds{vault=\"/srv/vault\",secret_server=\"SSO\\\"1\"} 108000\n"));
    CHECK(contains(prom,
                   "ssoescrow_check_state{vault=\"/srv/"
                   "vault\",secret_server=\"SSO\\\"1\",check=\"backup-age\"} 1\n"));
    // Every family has exactly one HELP and one TYPE line.
    CHECK(std::count(prom.begin(), prom.end(), '#') % 2 == 0);

    const auto doc = nlohmann::json::parse(format_json(run));
    CHECK(doc["schema"] == "ssoescrow-status/1");
    CHECK(doc["status"] == "warning");
    CHECK(doc["exit_code"] == 1);
    CHECK(doc["vaults"][0]["checks"].size() == 8);
    CHECK(doc["vaults"][0]["checks"][0]["id"] == "backup-age");

    // A second vault that cannot be opened makes the whole run UNKNOWN, the first stays WARNING.
    run.vaults.push_back(
        unopenable_vault("/missing", make_error(Errc::not_found, "no such vault")));
    CHECK(run.overall() == CheckState::unknown);
    CHECK(run.exit_code() == 3);
    CHECK(contains(format_text(run), "overall UNKNOWN: 2 vaults, 1 unknown, 1 warning"));
    run.vaults.push_back(
        unopenable_vault("/damaged", make_error(Errc::vault_damaged, "config checksum mismatch")));
    CHECK(run.exit_code() == 2);
}
