// The hash-chained audit log (vault/audit_log.hpp): record format and schemas, every truncation
// and bit flip, chain verification (gaps, forks, edits, replaced records), the latest-seen state
// for rollback detection (F16), and the reading APIs used by status and topology check.
#include "test_support.hpp"
#include "test_vault_layout_support.hpp"
#include "vault/audit_log.hpp"
#include "vault/custodians.hpp"

using namespace vault_test;

namespace {

const std::string k_vault_id = "0123456789abcdef0123456789abcdef";
const std::string k_hash_a = std::string(64, 'a');
const std::string k_id_b = std::string(32, 'b');

AuditRecord init_record() {
    AuditRecord r;
    r.seq = 1;
    r.time = k_t0;
    r.vault_id = k_vault_id;
    r.actor = "ops@bts01";
    r.type = AuditType::vault_init;
    r.fields = {{"config", k_hash_a},
                {"policy", "sha256:" + k_hash_a},
                {"threshold", "2"},
                {"custodian", "e2c4-8ec7-55c8-1fb5-1c9e-e06f-0063-7eea"},
                {"custodian", "f768-5705-09cb-449f-ec0b-a407-307b-99aa"},
                {"policy-signer", "0a1b-2c3d-4e5f-6a7b-8c9d-0e1f-2a3b-4c5d"}};
    return r;
}

AuditRecord restore_record(AuditType type, std::int64_t time, const std::string& node) {
    AuditRecord r;
    r.time = time;
    r.actor = "ops@bts01";
    r.type = type;
    r.fields = {{"backup", k_id_b},
                {"request", std::string(32, 'c')},
                {"node", node},
                {"msid", "{11111111-2222-3333-4444-555555555555}"},
                {"custodian", "e2c4-8ec7-55c8-1fb5-1c9e-e06f-0063-7eea"},
                {"custodian", "f768-5705-09cb-449f-ec0b-a407-307b-99aa"}};
    return r;
}

AuditRecord prune_record(std::int64_t time) {
    AuditRecord r;
    r.time = time;
    r.actor = "ops@bts01";
    r.type = AuditType::prune;
    r.fields = {{"backup", k_id_b}, {"envelope", k_hash_a}, {"reason", "older than keep-within"}};
    return r;
}

// A vault directory with only an audit/ directory, and a chain of `count` records.
AuditChain make_chain(const fs::path& dir, std::size_t count) {
    fs::create_directories(dir / "audit");
    auto chain = start_audit_log(dir, init_record());
    REQUIRE(chain.ok());
    for (std::size_t i = 2; i <= count; ++i) {
        auto appended =
            append_audit_record(dir, *chain, prune_record(k_t0 + static_cast<std::int64_t>(i) * 60),
                                &test_support::test_signing_key());
        REQUIRE(appended.ok());
    }
    return std::move(chain).value();
}

AuditChain read_chain(const fs::path& dir) {
    auto chain = read_audit_chain(dir, k_vault_id);
    REQUIRE(chain.ok());
    return std::move(chain).value();
}

}  // namespace

TEST_CASE("audit records round-trip byte-exactly for every type", "[vault][audit]") {
    std::vector<AuditRecord> records{
        init_record(), restore_record(AuditType::restore, k_t0, "NODE1"),
        restore_record(AuditType::drill, k_t0, "NODE2"), prune_record(k_t0)};
    AuditRecord lock;
    lock.type = AuditType::lock_override;
    lock.fields = {{"holder-host", "BTS02"},
                   {"holder-pid", "4242"},
                   {"holder-started", "2026-11-26T01:00:00Z"},
                   {"reason", "stale lock of a dead process"}};
    records.push_back(lock);
    for (AuditType type : {AuditType::custodian_departed, AuditType::custodian_reinstated}) {
        AuditRecord custodian;
        custodian.type = type;
        custodian.fields = {{"custodian", "f768-5705-09cb-449f-ec0b-a407-307b-99aa"},
                            {"reason", "left the company 2026-11-20"}};
        records.push_back(custodian);
    }
    AuditRecord backup;
    backup.type = AuditType::backup;
    backup.fields = {{"backup", k_id_b},
                     {"envelope", k_hash_a},
                     {"created", "2026-11-26T12:00:00Z"},
                     {"computer", "BTS01"},
                     {"current-msid", "{11111111-2222-3333-4444-555555555555}"},
                     {"policy", "sha256:" + k_hash_a}};
    records.push_back(backup);
    std::uint64_t seq = 1;
    for (AuditRecord& r : records) {
        r.seq = seq++;
        if (r.seq > 1)
            r.prev = k_hash_a;
        r.vault_id = k_vault_id;
        if (r.actor.empty())
            r.actor = "ops@bts01";
        if (r.time == 0)
            r.time = k_t0;
        if (is_signed_record_type(r.type))
            REQUIRE(sign_audit_record(r, test_support::test_signing_key()).ok());
        REQUIRE(r.validate().ok());
        const std::string text = r.serialise();
        auto parsed = parse_audit_record(text, "r");
        REQUIRE(parsed.ok());
        CHECK(parsed->serialise() == text);
        CHECK(parsed->fields == r.fields);
        CHECK(parsed->type == r.type);
    }
    const std::string text = init_record().serialise();
    CHECK(text.rfind("ssoescrow-audit/1\nvault: " + k_vault_id + "\nseq: 1\nprev: none\n", 0) == 0);
    CHECK(text.substr(text.size() - 7) == "end: 1\n");
}

TEST_CASE("audit schemas: required fields, order, kinds, no path tricks", "[vault][audit]") {
    AuditRecord r = restore_record(AuditType::restore, k_t0, "NODE1");
    r.seq = 2;
    r.prev = k_hash_a;
    r.vault_id = k_vault_id;
    REQUIRE(sign_audit_record(r, test_support::test_signing_key()).ok());
    REQUIRE(r.validate().ok());

    AuditRecord missing = r;
    missing.fields.erase(missing.fields.begin() + 1);  // request
    CHECK_FALSE(missing.validate().ok());

    AuditRecord no_custodian = r;
    no_custodian.fields.resize(4);
    CHECK_FALSE(no_custodian.validate().ok());

    AuditRecord swapped = r;
    std::swap(swapped.fields[0], swapped.fields[1]);
    CHECK_FALSE(swapped.validate().ok());

    AuditRecord traversal = r;
    traversal.fields[0].value = "../../../../etc/passwd0000000000";
    CHECK_FALSE(traversal.validate().ok());

    AuditRecord nul = r;
    nul.fields[2].value = std::string(
        "NODE\0"
        "1",
        6);
    CHECK_FALSE(nul.validate().ok());

    AuditRecord newline = r;
    newline.fields[2].value = "NODE1\ntype: vault-init";
    CHECK_FALSE(newline.validate().ok());

    AuditRecord extra = r;
    extra.fields.push_back({"password", "x"});
    CHECK_FALSE(extra.validate().ok());

    AuditRecord second_init = init_record();
    second_init.seq = 5;
    second_init.prev = k_hash_a;
    CHECK_FALSE(second_init.validate().ok());

    AuditRecord first_backup = prune_record(k_t0);
    first_backup.seq = 1;
    first_backup.vault_id = k_vault_id;
    CHECK_FALSE(first_backup.validate().ok());
}

TEST_CASE("non-canonical and unknown-version audit records are refused", "[vault][audit]") {
    const std::string good = init_record().serialise();
    auto refused = [](const std::string& text) { return !parse_audit_record(text, "r").ok(); };
    auto replaced = [&](const std::string& from, const std::string& to) {
        std::string text = good;
        text.replace(text.find(from), from.size(), to);
        return text;
    };
    CHECK(refused(replaced("seq: 1\n", "seq: 01\n")));
    CHECK(refused(replaced("threshold: 2\n", "threshold:  2\n")));
    CHECK(refused(replaced("prev: none\n", "prev: " + k_hash_a + "\n")));
    CHECK(refused(replaced("end: 1\n", "end: 2\n")));
    CHECK(refused(replaced("end: 1\n", "")));
    CHECK(refused(replaced("type: vault-init\n", "type: vault-init\nx-note: hi\n")));
    CHECK(refused(replaced("type: vault-init", "type: backdoor")));
    CHECK(refused(replaced("\n", "\r\n")));
    auto newer = parse_audit_record(replaced("ssoescrow-audit/1", "ssoescrow-audit/2"), "r");
    REQUIRE_FALSE(newer.ok());
    CHECK(newer.error().code == Errc::unsupported_version);
    CHECK(newer.error().message.find("unsupported version 2") != std::string::npos);
    auto big = parse_audit_record(std::string(k_max_audit_record_size + 1, 'x'), "r");
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().code == Errc::limit_exceeded);
}

TEST_CASE("every truncation and bit flip of an audit record is detected", "[vault][audit]") {
    AuditRecord r = restore_record(AuditType::restore, k_t0, "NODE1");
    r.seq = 2;
    r.prev = k_hash_a;
    r.vault_id = k_vault_id;
    REQUIRE(sign_audit_record(r, test_support::test_signing_key()).ok());
    const std::string text = r.serialise();
    const std::string hash = audit_hash(text);
    for (std::size_t size = 0; size < text.size(); ++size) {
        INFO("size " << size);
        const std::string cut = text.substr(0, size);
        CHECK_FALSE(parse_audit_record(cut, "r").ok());
        CHECK(audit_hash(cut) != hash);
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string flipped = text;
            flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
            INFO("byte " << i << " bit " << bit);
            // A flip may still parse (e.g. a digit of a hash value), but never with the same
            // hash: read_audit_chain compares the content with the name.
            CHECK(audit_hash(flipped) != hash);
        }
    }
}

TEST_CASE("a chain of records verifies: names carry seq and hash", "[vault][audit]") {
    TempDir tmp;
    AuditChain chain = make_chain(tmp.path(), 5);
    const AuditChain read = read_chain(tmp.path());
    INFO(describe(read.findings));
    CHECK(read.intact());
    CHECK(read.findings.empty());
    REQUIRE(read.records.size() == 5);
    CHECK(read.head_seq() == 5);
    CHECK(read.head_hash() == chain.head_hash());
    for (std::size_t i = 0; i < 5; ++i) {
        const ChainRecord& r = read.records[i];
        CHECK(r.record.seq == i + 1);
        CHECK(r.file == "audit/" + audit_file_name(i + 1, r.hash));
        if (i > 0)
            CHECK(r.record.prev == read.records[i - 1].hash);
        // Write-once: nobody may write it (0400 on POSIX, read-only attribute on Windows).
        const fs::perms perms = fs::status(tmp.path() / r.file).permissions();
        CHECK((perms & fs::perms::all) != fs::perms::none);
        CHECK((perms & (fs::perms::owner_write | fs::perms::group_write |
                        fs::perms::others_write)) == fs::perms::none);
    }
    auto parsed = parse_audit_file_name(audit_file_name(42, k_hash_a));
    REQUIRE(parsed.has_value());
    CHECK(parsed->seq == 42);
    CHECK_FALSE(parse_audit_file_name("0000000001-" + k_hash_a + ".rec.bak").has_value());
    CHECK_FALSE(parse_audit_file_name("000000000x-" + k_hash_a + ".rec").has_value());
    CHECK_FALSE(parse_audit_file_name("0000000000-" + k_hash_a + ".rec").has_value());
}

TEST_CASE("a removed record is a gap (F16)", "[vault][audit]") {
    TempDir tmp;
    AuditChain chain = make_chain(tmp.path(), 4);
    test_support::remove_write_once_file(tmp.path() / chain.records[1].file);
    const AuditChain read = read_chain(tmp.path());
    CHECK_FALSE(read.intact());
    CHECK(has_finding(read.findings, Severity::damaged, "audit-gap", chain.records[2].file));
}

TEST_CASE("an edited record no longer matches its name", "[vault][audit]") {
    TempDir tmp;
    AuditChain chain = make_chain(tmp.path(), 3);
    const fs::path file = tmp.path() / chain.records[1].file;
    std::string text = read_text(file);
    text.replace(text.find("older"), 5, "newer");
    write_text(file, text);
    const AuditChain read = read_chain(tmp.path());
    CHECK(has_finding(read.findings, Severity::damaged, "audit-record-altered",
                      chain.records[1].file));
}

TEST_CASE("a record replaced under a matching name breaks the chain", "[vault][audit]") {
    TempDir tmp;
    AuditChain chain = make_chain(tmp.path(), 3);
    // The attacker rewrites record 2 and renames it to its new hash: record 3's prev exposes it.
    AuditRecord forged = chain.records[1].record;
    forged.fields[2].value = "forged reason";
    const std::string text = forged.serialise();
    test_support::remove_write_once_file(tmp.path() / chain.records[1].file);
    const std::string name = audit_file_name(2, audit_hash(text));
    write_text(tmp.path() / "audit" / name, text);
    const AuditChain read = read_chain(tmp.path());
    CHECK(
        has_finding(read.findings, Severity::damaged, "audit-chain-broken", chain.records[2].file));
}

TEST_CASE("two records with the same seq are a fork", "[vault][audit]") {
    TempDir tmp;
    AuditChain chain = make_chain(tmp.path(), 2);
    AuditChain copy = chain;
    // A second writer without the lock appends seq 3 too.
    REQUIRE(append_audit_record(tmp.path(), chain, prune_record(k_t0 + 1000),
                                &test_support::test_signing_key())
                .ok());
    REQUIRE(append_audit_record(tmp.path(), copy, prune_record(k_t0 + 2000),
                                &test_support::test_signing_key())
                .ok());
    AuditChain read = read_chain(tmp.path());
    CHECK(has_finding(read.findings, Severity::damaged, "audit-fork"));
    auto refused = append_audit_record(tmp.path(), read, prune_record(k_t0 + 3000),
                                       &test_support::test_signing_key());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::vault_damaged);
}

TEST_CASE("a record of another vault, an unknown name, a temp file", "[vault][audit]") {
    TempDir tmp;
    make_chain(tmp.path(), 2);
    write_text(tmp.path() / "audit" / "notes.txt", "hello");
    write_text(tmp.path() / "audit" / ".tmp-0123456789abcdef0123456789abcdef", "partial");
    AuditChain read = read_chain(tmp.path());
    CHECK(read.intact());
    CHECK(has_finding(read.findings, Severity::warning, "unknown-file", "audit/notes.txt"));
    CHECK(has_finding(read.findings, Severity::warning, "temp-file"));
    auto other = read_audit_chain(tmp.path(), std::string(32, 'f'));
    REQUIRE(other.ok());
    CHECK(has_finding(other->findings, Severity::damaged, "audit-other-vault"));
}

TEST_CASE("an empty or missing audit log is damage", "[vault][audit]") {
    TempDir tmp;
    AuditChain missing = read_chain(tmp.path());
    CHECK(has_finding(missing.findings, Severity::damaged, "audit-missing"));
    fs::create_directory(tmp.path() / "audit");
    AuditChain empty = read_chain(tmp.path());
    CHECK(has_finding(empty.findings, Severity::damaged, "audit-empty"));
    auto refused = append_audit_record(tmp.path(), empty, prune_record(k_t0),
                                       &test_support::test_signing_key());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::vault_damaged);
}

TEST_CASE("start_audit_log refuses a log that already has records", "[vault][audit]") {
    TempDir tmp;
    make_chain(tmp.path(), 1);
    auto again = start_audit_log(tmp.path(), init_record());
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == Errc::already_exists);
}

TEST_CASE("latest-seen state detects rollback and rewritten history (F16)", "[vault][audit]") {
    TempDir tmp;
    const fs::path vault_dir = tmp.path() / "vault";
    const fs::path state_dir = tmp.path() / "state" / k_vault_id;
    AuditChain chain = make_chain(vault_dir, 4);
    REQUIRE(remember_seen(state_dir, chain, k_vault_id, k_t0 + 500).ok());
    auto seen = read_seen_state(state_dir);
    REQUIRE(seen.ok());
    REQUIRE(seen->has_value());
    CHECK((*seen)->seq == 4);
    CHECK(compare_with_seen(read_chain(vault_dir), **seen).empty());

    SECTION("the newest records removed: rolled back") {
        test_support::remove_write_once_file(vault_dir / chain.records[3].file);
        test_support::remove_write_once_file(vault_dir / chain.records[2].file);
        const AuditChain rolled = read_chain(vault_dir);
        CHECK(rolled.intact());  // the shorter chain is self-consistent...
        const Findings found = compare_with_seen(rolled, **seen);
        CHECK(has_finding(found, Severity::damaged, "audit-rolled-back"));  // ...but not new
        // And the state never moves backward: remembering the shorter chain is refused, and
        // the state keeps the evidence.
        auto kept = remember_seen(state_dir, rolled, k_vault_id, k_t0 + 600);
        REQUIRE_FALSE(kept.ok());
        CHECK(kept.error().code == Errc::vault_damaged);
        CHECK((*read_seen_state(state_dir))->seq == 4);
    }
    SECTION("history rewritten from record 4 on") {
        test_support::remove_write_once_file(vault_dir / chain.records[3].file);
        AuditChain rewritten = read_chain(vault_dir);
        REQUIRE(append_audit_record(vault_dir, rewritten, prune_record(k_t0 + 9999),
                                    &test_support::test_signing_key())
                    .ok());
        const Findings found = compare_with_seen(read_chain(vault_dir), **seen);
        CHECK(has_finding(found, Severity::damaged, "audit-history-rewritten"));
        // A chain of the same length with another history does not replace the state either.
        CHECK_FALSE(remember_seen(state_dir, read_chain(vault_dir), k_vault_id, k_t0 + 700).ok());
        CHECK((*read_seen_state(state_dir))->record_hash == (*seen)->record_hash);
    }
    SECTION("another vault's state") {
        SeenState other = **seen;
        other.vault_id = std::string(32, 'e');
        CHECK(has_finding(compare_with_seen(read_chain(vault_dir), other), Severity::damaged,
                          "seen-state-other-vault"));
    }
    SECTION("the state file is strict") {
        const std::string text = serialise_seen_state(**seen);
        CHECK(parse_seen_state(text, "s").ok());
        CHECK_FALSE(parse_seen_state(text + "x\n", "s").ok());
        std::string newer = text;
        newer.replace(0, 16, "ssoescrow-seen/2");
        auto refused = parse_seen_state(newer, "s");
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == Errc::unsupported_version);
    }
}

TEST_CASE("restore receipts and the last drill come from the chain", "[vault][audit]") {
    TempDir tmp;
    AuditChain chain = make_chain(tmp.path(), 1);
    CHECK(restore_receipts(chain).empty());
    CHECK_FALSE(last_drill_time(chain).has_value());
    REQUIRE(append_audit_record(tmp.path(), chain,
                                restore_record(AuditType::drill, k_t0 + 100, "NODE1"),
                                &test_support::test_signing_key())
                .ok());
    REQUIRE(append_audit_record(tmp.path(), chain,
                                restore_record(AuditType::restore, k_t0 + 200, "NODE2"),
                                &test_support::test_signing_key())
                .ok());
    const AuditChain read = read_chain(tmp.path());
    const auto receipts = restore_receipts(read);
    REQUIRE(receipts.size() == 2);
    CHECK(receipts[0].drill);
    CHECK(receipts[0].node == "NODE1");
    CHECK_FALSE(receipts[1].drill);
    CHECK(receipts[1].node == "NODE2");
    CHECK(receipts[1].backup_id == k_id_b);
    CHECK(receipts[1].custodians.size() == 2);
    CHECK(receipts[1].msid == "{11111111-2222-3333-4444-555555555555}");
    CHECK(last_drill_time(read) == k_t0 + 200);
    REQUIRE(last_record_of(read, AuditType::drill) != nullptr);
    CHECK(last_record_of(read, AuditType::drill)->record.seq == 2);
    CHECK(last_record_of(read, AuditType::rekey) == nullptr);
}

TEST_CASE("a clock stepped back between records is a warning, not damage (F12)", "[vault][audit]") {
    TempDir tmp;
    AuditChain chain = make_chain(tmp.path(), 2);
    REQUIRE(append_audit_record(tmp.path(), chain, prune_record(k_t0 - 7200),
                                &test_support::test_signing_key())
                .ok());
    const AuditChain read = read_chain(tmp.path());
    CHECK(read.intact());
    CHECK(has_finding(read.findings, Severity::warning, "audit-time-backwards"));
}

TEST_CASE("custodian departure records: schema and the roster built from them", "[vault][audit]") {
    const std::string alice = "e2c4-8ec7-55c8-1fb5-1c9e-e06f-0063-7eea";
    const std::string bob = "f768-5705-09cb-449f-ec0b-a407-307b-99aa";
    auto departure = [](AuditType type, const std::string& fp, std::int64_t time) {
        AuditRecord r;
        r.time = time;
        r.actor = "ops@bts01";
        r.type = type;
        r.fields = {{"custodian", fp}, {"reason", "left"}};
        return r;
    };
    // Both fields are required, exactly once, in order.
    AuditRecord bad = departure(AuditType::custodian_departed, bob, k_t0);
    bad.seq = 2;
    bad.prev = k_hash_a;
    bad.vault_id = k_vault_id;
    REQUIRE(bad.validate().ok());
    bad.fields = {{"reason", "left"}, {"custodian", bob}};
    CHECK_FALSE(bad.validate().ok());
    bad.fields = {{"custodian", bob}};
    CHECK_FALSE(bad.validate().ok());
    bad.fields = {{"custodian", bob}, {"custodian", alice}, {"reason", "left"}};
    CHECK_FALSE(bad.validate().ok());
    bad.fields = {{"custodian", "a b"}, {"reason", "left"}};
    CHECK_FALSE(bad.validate().ok());
    bad.fields = {{"custodian", "alice"}, {"reason", "left"}};  // a token, not a fingerprint
    CHECK_FALSE(bad.validate().ok());
    bad.fields = {{"custodian", "F768-5705-09CB-449F-EC0B-A407-307B-99AA"}, {"reason", "left"}};
    CHECK_FALSE(bad.validate().ok());

    TempDir dir;
    AuditChain chain = make_chain(dir.path(), 1);
    REQUIRE(append_audit_record(dir.path(), chain,
                                departure(AuditType::custodian_departed, bob, k_t0 + 100),
                                &test_support::test_signing_key())
                .ok());
    CustodianRoster roster = custodian_roster(chain.records);
    REQUIRE(roster.find(alice) != nullptr);
    CHECK(*roster.find(alice)->in_policy_since == k_t0);
    CHECK_FALSE(roster.is_departed(alice));
    REQUIRE(roster.is_departed(bob));
    CHECK(roster.find(bob)->departed->time == k_t0 + 100);
    CHECK(roster.find(bob)->departed->reason == "left");
    CHECK(roster.find(bob)->departed->seq == 2);
    CHECK(roster.count_present({alice, bob}) == 1);
    REQUIRE(roster.policies.count("sha256:" + k_hash_a) == 1);
    CHECK(roster.policies.at("sha256:" + k_hash_a).threshold == 2);
    CHECK(roster.policies.at("sha256:" + k_hash_a).custodians ==
          std::vector<std::string>{alice, bob});

    // A second departure keeps the first date; a reinstatement clears it; the chain verifies.
    REQUIRE(append_audit_record(dir.path(), chain,
                                departure(AuditType::custodian_departed, bob, k_t0 + 200),
                                &test_support::test_signing_key())
                .ok());
    CHECK(custodian_roster(chain.records).find(bob)->departed->time == k_t0 + 100);
    REQUIRE(append_audit_record(dir.path(), chain,
                                departure(AuditType::custodian_reinstated, bob, k_t0 + 300),
                                &test_support::test_signing_key())
                .ok());
    CHECK_FALSE(custodian_roster(chain.records).is_departed(bob));
    // The roster of a prefix is the state at that time (status --as-of).
    const std::vector<ChainRecord> before(chain.records.begin(), chain.records.begin() + 2);
    CHECK(custodian_roster(before).is_departed(bob));
    const AuditChain reread = read_chain(dir.path());
    CHECK(reread.intact());
    CHECK(reread.records.size() == 4);
    // A departure of a key no policy names is kept, without a since date.
    const std::string stranger = "0000-0000-0000-0000-0000-0000-0000-0000";
    ChainRecord odd;
    odd.record = departure(AuditType::custodian_departed, stranger, k_t0 + 400);
    const CustodianRoster with_stranger = custodian_roster({reread.records[0], odd});
    REQUIRE(with_stranger.find(stranger) != nullptr);
    CHECK_FALSE(with_stranger.find(stranger)->in_policy_since.has_value());
    CHECK(with_stranger.is_departed(stranger));
}
