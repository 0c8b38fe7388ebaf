// The verified head cache (vault/head_cache.hpp, FORMAT.md 4.3 "Head cache"): a writer verifies
// only the records after the head it verified last, and reads the whole chain whenever the cache
// cannot vouch for the history; rollback, rewrite and fork detection are those of the full
// verification. A restore verifies the backup it opens from the cache and its own envelope.
#include <catch2/catch.hpp>

#include "src/restore/backup_choice.hpp"
#include "test_vault_layout_support.hpp"
#include "vault/check.hpp"
#include "vault/head_cache.hpp"
#include "vault/host_state.hpp"
#include "vault/prune.hpp"
#include "vault/writer.hpp"

using namespace vault_test;

namespace {

// Retention small enough that a prune 50 days on removes all but the newest backup.
Vault make_small_retention_vault(const fs::path& dir, const EscrowPolicy& policy) {
    FakeClock clock(k_t0);
    Vault::InitOptions options;
    options.escrow = policy;
    options.clock = &clock;
    options.actor = "tester@testhost";
    options.freshness.max_backup_age = 12 * k_hour;
    options.freshness.critical_backup_age = 1 * k_day;
    options.freshness.min_retention = 1 * k_day;
    options.freshness.min_retained = 1;
    options.retention.keep_last = 1;
    options.retention.keep_within = 1 * k_day;
    auto vault = Vault::init(dir, options);
    REQUIRE(vault.ok());
    return std::move(vault).value();
}

struct Fixture {
    TempDir tmp;
    Custodians custodians = make_custodians(2, 3);
    Vault vault = make_small_retention_vault(tmp.path() / "vault", custodians.policy);
    fs::path state_root = tmp.path() / "state";
    fs::path state_dir = state_root / vault.vault_id();

    AuditChain chain() const { return *read_audit_chain(vault.dir(), vault.vault_id()); }

    WriteAccess take(std::int64_t at) {
        FakeClock clock(at);
        LockOptions options;
        options.operation = "backup";
        options.clock = &clock;
        auto access = acquire_writer_lock(vault, options, WriterContext{state_root});
        REQUIRE(access.ok());
        return std::move(access).value();
    }

    // A backup through the writer's path: verified history, store, remember, release.
    bool write_backup(std::int64_t at) {
        WriteAccess access = take(at);
        const bool cached = access.history.from_cache();
        auto stored = store_envelope(vault, access.lock, access.history,
                                     seal_at(vault, custodians.policy, at), AuditType::backup, at,
                                     test_support::test_signing_key(), "tester@testhost");
        REQUIRE(stored.ok());
        REQUIRE(remember_history(vault, state_dir, access.history, at).ok());
        REQUIRE(access.lock.release().ok());
        return cached;
    }

    HeadCache cache() const {
        auto read = read_head_cache(state_dir);
        REQUIRE(read.ok());
        REQUIRE(read->has_value());
        return **read;
    }

    Result<VerifiedHistory> verify() const { return verify_history_for_writing(vault, state_dir); }

    // A record for `seq` with other content than the one in the chain, named by its own hash.
    fs::path forge_record(std::uint64_t seq) const {
        const AuditChain full = chain();
        AuditRecord forged = full.find(seq)->record;
        forged.time += 1;
        if (is_signed_record_type(forged.type))
            REQUIRE(sign_audit_record(forged, test_support::test_signing_key()).ok());
        const std::string text = forged.serialise();
        const fs::path file =
            vault.dir() / std::string(k_audit_dir) / audit_file_name(seq, audit_hash(text));
        write_text(file, text);
        return file;
    }
};

}  // namespace

TEST_CASE("the head cache is one canonical text", "[vault][head-cache]") {
    HeadCache cache;
    cache.vault_id = std::string(32, 'a');
    cache.head = {7, std::string(64, 'b')};
    cache.config_record = {1, std::string(64, 'c')};
    cache.config = std::string(64, 'd');
    cache.policy = "sha256:" + std::string(64, 'e');
    const std::string fingerprint = "0123-4567-89ab-cdef-0123-4567-89ab-cdef";
    cache.departed.push_back({fingerprint, k_t0 + 30, "left the company"});
    cache.departed.push_back({"f" + fingerprint.substr(1), k_t0 + 40, "retired"});
    cache.backups.push_back({std::string(32, '1'), 2, std::string(64, 'f'), k_t0, "unknown"});
    cache.backups.push_back(
        {std::string(32, '2'), 5, std::string(64, '0'), k_t0 + 60, "{ab cd} with spaces"});
    const std::string lines = serialise_cached_backups(cache.backups);
    cache.backups_file = describe_cached_backups(lines);
    CHECK(cache.backups_file.count == 2);
    CHECK(cache.backups_file.bytes == lines.size());

    const std::string text = serialise_head_cache(cache);
    auto parsed = parse_head_cache(text, "cache");
    REQUIRE(parsed.ok());
    CHECK_FALSE(parsed->backups_read);
    CHECK(parsed->backups_file == cache.backups_file);
    CHECK(parsed->departed == cache.departed);
    CHECK(parsed->head.hash == cache.head.hash);
    CHECK(serialise_head_cache(*parsed) == text);
    CHECK(text.find("\ndeparted: " + fingerprint + " ") != std::string::npos);
    auto backups = parse_cached_backups(lines, cache.backups_file, cache.head.seq, "backups");
    REQUIRE(backups.ok());
    CHECK(*backups == cache.backups);

    // Torn: the end line is missing or does not count the backups.
    CHECK_FALSE(parse_head_cache(text.substr(0, text.rfind("end: ")), "cache").ok());
    std::string miscounted = text;
    miscounted.replace(miscounted.rfind("end: 2"), 6, "end: 1");
    CHECK_FALSE(parse_head_cache(miscounted, "cache").ok());
    // Another version, newer or older (version 2 keeps the backup lines in this file).
    for (const char* version : {"ssoescrow-verified-head/4", "ssoescrow-verified-head/2"}) {
        std::string other = text;
        other.replace(0, std::string("ssoescrow-verified-head/3").size(), version);
        auto refused = parse_head_cache(other, "cache");
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == Errc::unsupported_version);
    }
    // Departed custodians in one order, and before the backups line.
    HeadCache unordered = cache;
    std::swap(unordered.departed.front(), unordered.departed.back());
    CHECK_FALSE(parse_head_cache(serialise_head_cache(unordered), "cache").ok());
    std::string after_backups = text;
    const std::string departed_line = "departed: " + fingerprint + " ";
    const std::size_t at = after_backups.find(departed_line);
    const std::string line = after_backups.substr(at, after_backups.find('\n', at) + 1 - at);
    after_backups.erase(at, line.size());
    after_backups.insert(after_backups.rfind("end: "), line);
    CHECK_FALSE(parse_head_cache(after_backups, "cache").ok());
    HeadCache not_a_fingerprint = cache;
    not_a_fingerprint.departed.front().fingerprint = "alice";
    CHECK_FALSE(parse_head_cache(serialise_head_cache(not_a_fingerprint), "cache").ok());

    // verified-backups: bytes past what the head describes are not part of it; an edited line,
    // a missing byte, a backup beyond the head or out of order is refused.
    CHECK(parse_cached_backups(lines + "backup: torn", cache.backups_file, 7, "b").ok());
    std::string edited = lines;
    edited[edited.rfind("with spaces")] = 'W';
    CHECK_FALSE(parse_cached_backups(edited, cache.backups_file, 7, "b").ok());
    CHECK_FALSE(
        parse_cached_backups(lines.substr(0, lines.size() - 1), cache.backups_file, 7, "b").ok());
    CHECK_FALSE(parse_cached_backups(lines, cache.backups_file, 4, "b").ok());
    // A torn last line (no LF) is described like any line, and refused.
    const std::string torn = lines + "backup: torn";
    CHECK(describe_cached_backups(torn).count == 3);
    CHECK_FALSE(parse_cached_backups(torn, describe_cached_backups(torn), 7, "b").ok());
    CHECK(describe_cached_backups("").count == 0);
    std::vector<CachedBackup> swapped{cache.backups.back(), cache.backups.front()};
    const std::string swapped_lines = serialise_cached_backups(swapped);
    CHECK_FALSE(
        parse_cached_backups(swapped_lines, describe_cached_backups(swapped_lines), 7, "b").ok());
}

TEST_CASE("a valid head cache spares the writer the records below its head",
          "[vault][head-cache]") {
    Fixture f;
    CHECK_FALSE(f.write_backup(k_t0 + 60));  // no cache yet: the whole chain
    const HeadCache first = f.cache();
    CHECK(first.head.seq == 2);
    CHECK(first.head.hash == f.chain().head_hash());
    CHECK(first.config == f.vault.config_hash());
    CHECK(first.policy == f.vault.config().escrow.fingerprint());
    REQUIRE(first.backups.size() == 1);
    CHECK(first.backups.front().seq == 2);

    CHECK(f.write_backup(k_t0 + 120));  // from the cache
    CHECK(f.write_backup(k_t0 + 180));
    const HeadCache third = f.cache();
    CHECK(third.head.seq == 4);
    CHECK(third.head.hash == f.chain().head_hash());
    CHECK(third.backups.size() == 3);

    auto verified = f.verify();
    REQUIRE(verified.ok());
    CHECK(verified->from_cache());
    REQUIRE(verified->chain.records.size() == 1);  // the cached head only
    CHECK(verified->chain.records.front().record.seq == 4);
    CHECK(verified->backups_known);

    // The state written from the cache is the one a full verification derives.
    const auto full = build_catalog(f.vault);
    REQUIRE(full.ok());
    CHECK(verified_backups_of(*full) == third.backups);

    // vault check keeps verifying everything: an old record edited in place is found there,
    // though the writer's listing cannot see it (its decisions come from the cached state).
    const fs::path second_record = f.vault.dir() / f.chain().records[1].file;
    std::string text = read_text(second_record);
    text.replace(text.find("tester@testhost"), 6, "mallet");
    test_support::remove_write_once_file(second_record);
    write_text(second_record, text);
    auto report = check_vault(f.vault, CheckOptions{});
    REQUIRE(report.ok());
    CHECK(has_finding(report->findings, Severity::damaged, "audit-record-altered"));
}

TEST_CASE("a head cache that cannot vouch for the history makes the writer read it all",
          "[vault][head-cache]") {
    Fixture f;
    f.write_backup(k_t0 + 60);
    f.write_backup(k_t0 + 120);
    const HeadCache cached = f.cache();
    REQUIRE(cached.head.seq == 3);

    SECTION("the cached head record is gone: a rollback, refused") {
        test_support::remove_write_once_file(f.vault.dir() / f.chain().records.back().file);
        auto verified = f.verify();
        REQUIRE_FALSE(verified.ok());
        CHECK(verified.error().code == Errc::vault_damaged);
        CHECK_THAT(verified.error().message, Catch::Contains("audit-rolled-back"));
    }
    SECTION("the cached head record replaced under another name: a rewrite, refused") {
        const fs::path head = f.vault.dir() / f.chain().records.back().file;
        f.forge_record(3);
        test_support::remove_write_once_file(head);
        auto verified = f.verify();
        REQUIRE_FALSE(verified.ok());
        CHECK_THAT(verified.error().message, Catch::Contains("audit-history-rewritten"));
    }
    SECTION("a cache with another head hash than the witness: the full chain is read") {
        HeadCache other = cached;
        other.head.hash = std::string(64, '0');
        REQUIRE(write_head_cache(f.state_dir, other).ok());
        auto verified = f.verify();
        REQUIRE(verified.ok());
        CHECK_FALSE(verified->from_cache());
        CHECK(verified->chain.records.size() == 3);
    }
    SECTION("a cache ahead of the witness: the full chain is read") {
        SeenState seen{f.vault.vault_id(), 2, f.chain().records[1].hash, k_t0};
        write_text(f.state_dir / k_seen_file, serialise_seen_state(seen));
        auto verified = f.verify();
        REQUIRE(verified.ok());
        CHECK_FALSE(verified->from_cache());
    }
    SECTION("no witness: the cache alone is not trusted") {
        fs::remove(f.state_dir / k_seen_file);
        auto verified = f.verify();
        REQUIRE(verified.ok());
        CHECK_FALSE(verified->from_cache());
    }
    SECTION("the cache of another vault: the full chain is read") {
        HeadCache foreign = cached;
        foreign.vault_id = std::string(32, 'f');
        REQUIRE(write_head_cache(f.state_dir, foreign).ok());
        auto verified = f.verify();
        REQUIRE(verified.ok());
        CHECK_FALSE(verified->from_cache());
    }
    SECTION("an unreadable cache: the full chain is read") {
        write_text(f.state_dir / k_head_cache_file, "garbage\n");
        auto verified = f.verify();
        REQUIRE(verified.ok());
        CHECK_FALSE(verified->from_cache());
    }
    // Below the cached head a writer relies on nothing but the cached state, so it does not list
    // audit/ (FORMAT.md 4.3 "Audit head"): damage there is for vault check, and for a writer that
    // lists (after a broken lock, or without a cache), which refuses it.
    SECTION("a fork below the cached head: vault check and a listing writer find it") {
        f.forge_record(2);
        auto verified = f.verify();
        REQUIRE(verified.ok());
        CHECK(verified->from_cache());
        auto listed =
            verify_history_for_writing(f.vault, f.state_dir, nullptr, HistoryListing::list_audit);
        REQUIRE_FALSE(listed.ok());
        CHECK_THAT(listed.error().message, Catch::Contains("audit-fork"));
        auto report = check_vault(f.vault, CheckOptions{});
        REQUIRE(report.ok());
        CHECK(has_finding(report->findings, Severity::damaged, "audit-fork"));
    }
    SECTION("a record removed below the cached head: vault check and a listing writer find it") {
        test_support::remove_write_once_file(f.vault.dir() / f.chain().records[1].file);
        auto verified = f.verify();
        REQUIRE(verified.ok());
        CHECK(verified->from_cache());
        auto listed =
            verify_history_for_writing(f.vault, f.state_dir, nullptr, HistoryListing::list_audit);
        REQUIRE_FALSE(listed.ok());
        CHECK_THAT(listed.error().message, Catch::Contains("audit-gap"));
    }
    SECTION("a forged record after the cached head, named by the audit head: refused") {
        AuditRecord forged = f.chain().records.back().record;
        forged.seq = 4;
        forged.prev = std::string(64, '1');  // not the head's hash
        forged.type = AuditType::lock_override;
        forged.fields = {{"holder-host", "h"},
                         {"holder-pid", "1"},
                         {"holder-started", format_time(k_t0)},
                         {"reason", "r"}};
        const std::string text = forged.serialise();
        write_text(f.vault.dir() / std::string(k_audit_dir) / audit_file_name(4, audit_hash(text)),
                   text);
        // Whose prev leads nowhere: the audit head cannot lead to the cached head, so the writer
        // lists audit/ and the full verification refuses.
        REQUIRE(write_audit_head(f.vault.dir(), {f.vault.vault_id(), {4, audit_hash(text)}}).ok());
        auto verified = f.verify();
        REQUIRE_FALSE(verified.ok());
        CHECK_THAT(verified.error().message, Catch::Contains("audit-chain-broken"));
    }
    SECTION("an audit head that names a record never written: the writer lists audit/") {
        REQUIRE(
            write_audit_head(f.vault.dir(), {f.vault.vault_id(), {4, std::string(64, 'a')}}).ok());
        auto verified = f.verify();
        REQUIRE(verified.ok());
        CHECK(verified->from_cache());
        CHECK(verified->chain.head_seq() == 3);
        auto report = check_vault(f.vault, CheckOptions{});
        REQUIRE(report.ok());
        CHECK(has_finding(report->findings, Severity::warning, "audit-head-ahead"));
    }
    // The writer lists audit/ instead, vault check warns, and the next writer writes it anew.
    const auto listed_instead = [&] {
        CHECK_FALSE(
            read_audit_chain_from_head(f.vault.dir(), f.vault.vault_id(), cached.head).has_value());
        auto verified = f.verify();
        REQUIRE(verified.ok());
        CHECK(verified->from_cache());
        CHECK(verified->chain.head_seq() == 3);
        auto report = check_vault(f.vault, CheckOptions{});
        REQUIRE(report.ok());
        CHECK(has_finding(report->findings, Severity::warning, "audit-head-unreadable"));
        f.write_backup(k_t0 + 180);
        auto head = read_audit_head(f.vault.dir());
        REQUIRE(head.ok());
        REQUIRE(head->has_value());
        CHECK((*head)->head == AuditHead{f.chain().head_seq(), f.chain().head_hash()});
    };
    SECTION("an unreadable audit head: the writer lists audit/") {
        write_text(f.vault.dir() / std::string(k_audit_head_file), "garbage\n");
        listed_instead();
    }
    SECTION("the audit head of another vault: the writer lists audit/") {
        REQUIRE(write_audit_head(f.vault.dir(), {std::string(32, 'f'), {3, f.chain().head_hash()}})
                    .ok());
        listed_instead();
    }
    SECTION("an audit head behind the log: vault check calls it damage") {
        REQUIRE(
            write_audit_head(f.vault.dir(), {f.vault.vault_id(), {2, f.chain().records[1].hash}})
                .ok());
        auto report = check_vault(f.vault, CheckOptions{});
        REQUIRE(report.ok());
        CHECK(has_finding(report->findings, Severity::damaged, "audit-head-behind"));
    }
    SECTION("a config replaced since: refused with the full verification's message") {
        Custodians mallory = make_custodians(1, 1, "mallory");
        VaultConfig config = f.vault.config();
        config.escrow = *mallory.policy.normalised();
        write_text(f.vault.config_path(), config.serialise());
        auto verified = verify_history_for_writing(*Vault::open(f.vault.dir()), f.state_dir);
        REQUIRE_FALSE(verified.ok());
        CHECK_THAT(verified.error().hint, Catch::Contains("tampered"));
    }
}

TEST_CASE(
    "the audit head names the newest record and leads a writer to the records after its "
    "cached head",
    "[vault][head-cache]") {
    Fixture f;
    f.write_backup(k_t0 + 60);
    const auto head = read_audit_head(f.vault.dir());
    REQUIRE(head.ok());
    REQUIRE(head->has_value());
    CHECK((*head)->vault_id == f.vault.vault_id());
    CHECK((*head)->head == AuditHead{f.chain().head_seq(), f.chain().head_hash()});
    CHECK(parse_audit_head(serialise_audit_head(**head), "x").value() == **head);
    CHECK_FALSE(parse_audit_head("ssoescrow-audit-head/2\n", "x").ok());
    CHECK(parse_audit_head("ssoescrow-audit-head/2\n", "x").error().code ==
          Errc::unsupported_version);
    CHECK_FALSE(parse_audit_head(serialise_audit_head(**head) + "\n", "x").ok());

    // Two more records by another host: found by following prev from the audit head.
    add_backup(f.vault, f.custodians.policy, k_t0 + 120);
    add_backup(f.vault, f.custodians.policy, k_t0 + 180);
    auto chain = read_audit_chain_from_head(f.vault.dir(), f.vault.vault_id(), f.cache().head);
    REQUIRE(chain.has_value());
    CHECK(chain->intact());
    REQUIRE(chain->records.size() == 3);
    CHECK(chain->records.front().record.seq == 2);
    CHECK(chain->head_hash() == f.chain().head_hash());
    // From a head that is not on the way back: nothing (the caller lists audit/).
    CHECK_FALSE(read_audit_chain_from_head(f.vault.dir(), f.vault.vault_id(),
                                           AuditHead{2, std::string(64, 'b')})
                    .has_value());
    CHECK_FALSE(read_audit_chain_from_head(f.vault.dir(), std::string(32, 'c'), f.cache().head)
                    .has_value());
}

TEST_CASE("records another writer appended after the cached head are verified and folded in",
          "[vault][head-cache]") {
    Fixture f;
    f.write_backup(k_t0 + 60);
    // Another host (no cache here) backs up: the record is after this host's cached head.
    add_backup(f.vault, f.custodians.policy, k_t0 + 120);
    auto verified = f.verify();
    REQUIRE(verified.ok());
    CHECK(verified->from_cache());
    CHECK(verified->chain.head_seq() == 3);
    CHECK_FALSE(verified->backups_known);  // another writer's envelope: not verified here

    // A prune then judges from the full catalog, and the cache learns every backup again.
    WriteAccess access = f.take(k_t0 + 200);
    PruneOptions options;
    FakeClock clock(k_t0 + 200);
    options.clock = &clock;
    auto pruned = execute_prune(f.vault, access.lock, access.history, options);
    REQUIRE(pruned.ok());
    CHECK(pruned->removed.empty());
    REQUIRE(remember_history(f.vault, f.state_dir, access.history, k_t0 + 200).ok());
    REQUIRE(access.lock.release().ok());
    CHECK(f.cache().backups.size() == 2);
    CHECK(f.cache().head.seq == 3);
}

TEST_CASE("a prune from the cached state removes only files that still match their record",
          "[vault][head-cache]") {
    Fixture f;
    for (int i = 0; i < 3; ++i)
        f.write_backup(k_t0 + (i + 1) * k_hour);
    const HeadCache before = f.cache();
    REQUIRE(before.backups.size() == 3);
    const std::int64_t later = k_t0 + 50 * k_day;

    SECTION("intact: the plan from the cache is carried out") {
        WriteAccess access = f.take(later);
        REQUIRE(access.history.from_cache());
        PruneOptions options;
        FakeClock clock(later);
        options.clock = &clock;
        auto pruned = execute_prune(f.vault, access.lock, access.history, options);
        REQUIRE(pruned.ok());
        CHECK(pruned->removed.size() == 2);
        REQUIRE(remember_history(f.vault, f.state_dir, access.history, later).ok());
        REQUIRE(access.lock.release().ok());
        REQUIRE(f.cache().backups.size() == 1);
        CHECK(f.cache().backups.front() == before.backups.back());
        const auto full = build_catalog(f.vault);
        REQUIRE(full.ok());
        CHECK(verified_backups_of(*full) == f.cache().backups);
    }
    SECTION("an envelope altered since: the full catalog decides, nothing damaged goes") {
        const fs::path oldest =
            f.vault.dir() / ("envelopes/" + before.backups.front().backup_id + ".envelope");
        std::string bytes = read_text(oldest);
        bytes[bytes.size() - 1] = static_cast<char>(bytes[bytes.size() - 1] ^ 1);
        test_support::remove_write_once_file(oldest);
        write_text(oldest, bytes);

        WriteAccess access = f.take(later);
        REQUIRE(access.history.from_cache());
        PruneOptions options;
        FakeClock clock(later);
        options.clock = &clock;
        auto pruned = execute_prune(f.vault, access.lock, access.history, options);
        REQUIRE(pruned.ok());
        CHECK(pruned->removed == std::vector<std::string>{before.backups[1].backup_id});
        CHECK(fs::exists(oldest));
        REQUIRE(access.lock.release().ok());
    }
}

namespace {

// A custodian-departed or custodian-reinstated record appended by a writer on this host.
void record_departure(Fixture& f, AuditType type, const std::string& fingerprint,
                      const std::string& reason, std::int64_t at) {
    WriteAccess access = f.take(at);
    AuditRecord record;
    record.type = type;
    record.time = at;
    record.actor = "operator@testhost";
    record.fields.push_back({"custodian", fingerprint});
    record.fields.push_back({"reason", reason});
    REQUIRE(append_to_history(f.vault, access.history, std::move(record)).ok());
    REQUIRE(remember_history(f.vault, f.state_dir, access.history, at).ok());
    REQUIRE(access.lock.release().ok());
}

}  // namespace

TEST_CASE("the head cache keeps the departed custodians as the chain says them",
          "[vault][head-cache]") {
    Fixture f;
    f.write_backup(k_t0 + 60);
    const std::string carol = f.custodians.policy.recipients[0].fingerprint();
    const std::string dave = f.custodians.policy.recipients[1].fingerprint();
    record_departure(f, AuditType::custodian_departed, carol, "left the company", k_t0 + 100);
    // A second departure keeps the first one's time and reason, as the roster does.
    record_departure(f, AuditType::custodian_departed, carol, "left again", k_t0 + 110);
    record_departure(f, AuditType::custodian_departed, dave, "retired", k_t0 + 120);
    HeadCache cache = f.cache();
    CHECK(cache.departed == departed_custodians_of(f.chain()));
    REQUIRE(cache.departed.size() == 2);
    const CachedDeparture* first = cache.departed.front().fingerprint == carol
                                       ? &cache.departed.front()
                                       : &cache.departed.back();
    CHECK(first->time == k_t0 + 100);
    CHECK(first->reason == "left the company");

    record_departure(f, AuditType::custodian_reinstated, dave, "recorded in error", k_t0 + 130);
    cache = f.cache();
    CHECK(cache.departed == departed_custodians_of(f.chain()));
    REQUIRE(cache.departed.size() == 1);
    CHECK(cache.departed.front().fingerprint == carol);

    // Another host's departure after the cached head is folded in by the next verification.
    AuditChain chain = f.chain();
    AuditRecord record;
    record.type = AuditType::custodian_departed;
    record.time = k_t0 + 140;
    record.actor = "operator@otherhost";
    record.fields.push_back({"custodian", dave});
    record.fields.push_back({"reason", "moved on"});
    REQUIRE(append_audit_record(f.vault.dir(), chain, std::move(record)).ok());
    auto verified = verify_history_from_cache(f.vault, f.state_dir);
    REQUIRE(verified.has_value());
    CHECK(verified->departed == departed_custodians_of(f.chain()));
    REQUIRE(verified->find_departed(dave) != nullptr);
    CHECK(verified->find_departed(dave)->reason == "moved on");
    CHECK(verified->find_backup(cache.backups.front().backup_id) != nullptr);
}

namespace {

struct EnvelopeFile {
    fs::path path;
    Bytes bytes;
    EnvelopeHeader header;
};

EnvelopeFile envelope_of(const Fixture& f, const std::string& backup_id) {
    auto id = parse_backup_id(backup_id);
    REQUIRE(id.ok());
    EnvelopeFile file;
    file.path = f.vault.dir() / Vault::envelope_relative_path(*id);
    const std::string text = read_text(file.path);
    file.bytes.assign(text.begin(), text.end());
    auto header = parse_envelope_header(file.bytes);
    REQUIRE(header.ok());
    file.header = *header;
    return file;
}

std::optional<restore::CachedChoice> choose(const Fixture& f, const EnvelopeFile& file) {
    auto cache = read_head_cache(f.state_dir);
    REQUIRE(cache.ok());
    if (!cache->has_value())
        return std::nullopt;
    return restore::verified_backup_from_cache(f.vault, f.state_dir, **cache, file.header,
                                               file.bytes);
}

}  // namespace

TEST_CASE("a restore verifies its backup from the head cache and its own envelope only",
          "[vault][head-cache][restore]") {
    Fixture f;
    for (int i = 0; i < 3; ++i)
        f.write_backup(k_t0 + (i + 1) * 60);
    const HeadCache cache = f.cache();
    REQUIRE(cache.backups.size() == 3);
    const std::string old_id = cache.backups[0].backup_id;
    const std::string middle_id = cache.backups[1].backup_id;
    const std::string chosen_id = cache.backups[2].backup_id;
    const EnvelopeFile chosen = envelope_of(f, chosen_id);

    auto choice = choose(f, chosen);
    REQUIRE(choice.has_value());
    CHECK(choice->entry.backup_id == chosen_id);
    CHECK(choice->entry.usable());
    CHECK(choice->entry.audit_seq == cache.backups[2].seq);
    CHECK(choice->entry.signer == chosen.header.signer_fingerprint);
    CHECK(choice->entry.policy_fingerprint == f.vault.config().escrow.fingerprint());
    CHECK(choice->departed.empty());
    // What it says of the backup is what the full catalog says.
    const auto catalog = build_catalog(f.vault);
    REQUIRE(catalog.ok());
    const CatalogEntry* full = catalog->find(chosen_id);
    REQUIRE(full != nullptr);
    CHECK(describe_signer(choice->entry) == describe_signer(*full));
    CHECK(choice->entry.envelope_hash == full->envelope_hash);
    CHECK(choice->entry.custodians == full->custodians);

    SECTION(
        "another envelope altered: not read, the chosen one still verified; vault check "
        "finds it") {
        const EnvelopeFile old = envelope_of(f, old_id);
        std::string text(old.bytes.begin(), old.bytes.end());
        text.back() = static_cast<char>(text.back() ^ 1);
        test_support::remove_write_once_file(old.path);
        write_text(old.path, text);
        CHECK(choose(f, chosen).has_value());
        auto report = check_vault(f.vault, CheckOptions{});
        REQUIRE(report.ok());
        CHECK(has_finding(report->findings, Severity::damaged, "envelope-signature-invalid"));
    }
    SECTION("the chosen bytes are not the envelope its record announced: the catalog decides") {
        EnvelopeFile altered = chosen;
        altered.bytes.back() ^= 1;
        CHECK_FALSE(choose(f, altered).has_value());
    }
    SECTION("a cache line that names another envelope: the catalog decides") {
        HeadCache other = cache;
        other.backups[2].envelope = std::string(64, '0');
        REQUIRE(write_head_cache(f.state_dir, other).ok());
        CHECK_FALSE(choose(f, chosen).has_value());
    }
    SECTION("a cache that cannot vouch for the history (another head hash): the catalog decides") {
        HeadCache other = cache;
        other.head.hash = std::string(64, 'f');
        REQUIRE(write_head_cache(f.state_dir, other).ok());
        CHECK_FALSE(choose(f, chosen).has_value());
    }
    SECTION("no cache: the catalog decides") {
        fs::remove(f.state_dir / std::string(k_head_cache_file));
        CHECK_FALSE(choose(f, chosen).has_value());
    }
    SECTION("a backup pruned after the cached head (by another host): the catalog decides") {
        const EnvelopeFile middle = envelope_of(f, middle_id);
        AuditChain chain = f.chain();
        AuditRecord prune;
        prune.type = AuditType::prune;
        prune.time = k_t0 + 300;
        prune.actor = "operator@otherhost";
        prune.fields.push_back({"backup", middle_id});
        prune.fields.push_back({"envelope", cache.backups[1].envelope});
        prune.fields.push_back({"reason", "retention"});
        REQUIRE(append_audit_record(f.vault.dir(), chain, std::move(prune)).ok());
        CHECK_FALSE(choose(f, middle).has_value());
        CHECK(choose(f, chosen).has_value());
    }
}
