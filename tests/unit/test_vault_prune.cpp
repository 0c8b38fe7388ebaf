// `vault prune` (vault/prune.hpp): the retention rules, the protections (newest of the current
// MSID, freshness window, min-retained), damaged backups left alone, every removal audit-logged
// before the file goes, an interrupted prune finished by the next one, dry run = the same plan.
#include <algorithm>

#include "test_support.hpp"
#include "test_vault_layout_support.hpp"
#include "vault/catalog.hpp"
#include "vault/check.hpp"
#include "vault/prune.hpp"

using namespace vault_test;

namespace {

Catalog catalog_of(const Vault& vault) {
    auto catalog = build_catalog(vault);
    REQUIRE(catalog.ok());
    return std::move(catalog).value();
}

std::vector<std::string> ids_with(const PrunePlan& plan, PruneAction action) {
    std::vector<std::string> out;
    for (const PruneDecision& d : plan.decisions) {
        if (d.action == action)
            out.push_back(d.entry.backup_id);
    }
    return out;
}

Result<PruneResult> prune_now(const Vault& vault, std::int64_t now) {
    FakeClock clock(now);
    LockOptions lock_options;
    lock_options.operation = "prune";
    lock_options.clock = &clock;
    auto lock = WriterLock::acquire(vault.dir(), lock_options);
    REQUIRE(lock.ok());
    PruneOptions options;
    options.signer = &test_support::test_signing_key();
    options.clock = &clock;
    options.actor = "tester@testhost";
    auto history_1 = unverified_history(vault);
    auto result = execute_prune(vault, *lock, history_1, options);
    REQUIRE(lock->release().ok());
    return result;
}

// A vault whose retention is small enough to test with a handful of backups.
Vault small_vault(const fs::path& dir, const EscrowPolicy& policy) {
    FakeClock clock(k_t0);
    Vault::InitOptions options;
    options.escrow = policy;
    options.clock = &clock;
    options.actor = "tester@testhost";
    options.freshness.max_backup_age = 12 * k_hour;
    options.freshness.critical_backup_age = 1 * k_day;
    options.freshness.min_retention = 1 * k_day;
    options.freshness.min_retained = 2;
    options.retention.keep_last = 3;
    options.retention.keep_within = 2 * k_day;
    auto vault = Vault::init(dir, options);
    REQUIRE(vault.ok());
    return std::move(vault).value();
}

}  // namespace

TEST_CASE("defaults: 40 daily backups keep the newest 35 days", "[vault][prune]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 2);
    const Vault vault = make_vault(tmp.path() / "vault", custodians.policy);
    std::vector<StoredBackup> backups;
    for (int day = 0; day < 40; ++day) {
        backups.push_back(add_backup(vault, custodians.policy, k_t0 + day * k_day));
    }
    const std::int64_t now = k_t0 + 39 * k_day + k_hour;
    const PrunePlan plan = plan_prune(catalog_of(vault), vault.config(), now);
    const auto removed = ids_with(plan, PruneAction::remove);
    REQUIRE(removed.size() == 5);
    for (int day = 0; day < 5; ++day) {
        CHECK(std::find(removed.begin(), removed.end(), backups[day].backup_id) != removed.end());
    }
    CHECK(plan.count(PruneAction::keep) == 35);
    // The plan lists newest first, and the newest is protected as the newest of its MSID.
    CHECK(plan.decisions.front().entry.backup_id == backups.back().backup_id);
    CHECK(plan.decisions.front().reason == "newest backup of the current MSID");
}

TEST_CASE("prune never removes the newest backup of the newest MSID nor the freshness window",
          "[vault][prune]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 2);
    Vault vault = small_vault(tmp.path() / "vault", custodians.policy);
    // Ten old backups of MSID A, then one of MSID B; all far older than keep-within.
    std::vector<StoredBackup> old;
    for (int i = 0; i < 10; ++i) {
        old.push_back(add_backup(vault, custodians.policy, k_t0 + i * k_hour, "{A}"));
    }
    const StoredBackup newest = add_backup(vault, custodians.policy, k_t0 + 11 * k_hour, "{B}");
    const std::int64_t now = k_t0 + 100 * k_day;
    const PrunePlan plan = plan_prune(catalog_of(vault), vault.config(), now);
    const auto kept = ids_with(plan, PruneAction::keep);
    CHECK(std::find(kept.begin(), kept.end(), newest.backup_id) != kept.end());
    CHECK(kept.size() == 3);  // keep-last 3 (>= min-retained 2)
    CHECK(plan.count(PruneAction::remove) == 8);

    SECTION("inside the window nothing goes") {
        const PrunePlan young = plan_prune(catalog_of(vault), vault.config(), k_t0 + 12 * k_hour);
        CHECK(young.count(PruneAction::remove) == 0);
    }
}

TEST_CASE("min-retained is a floor under keep-last", "[vault][prune]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 2);
    FakeClock clock(k_t0);
    Vault::InitOptions options;
    options.escrow = custodians.policy;
    options.clock = &clock;
    options.freshness.max_backup_age = 12 * k_hour;
    options.freshness.critical_backup_age = 1 * k_day;
    options.freshness.min_retention = 1 * k_day;
    options.freshness.min_retained = 4;
    options.retention.keep_last = 1;
    options.retention.keep_within = 1 * k_day;
    auto vault = Vault::init(tmp.path() / "vault", options);
    REQUIRE(vault.ok());
    for (int i = 0; i < 6; ++i)
        add_backup(*vault, custodians.policy, k_t0 + i * k_hour);
    const PrunePlan plan = plan_prune(catalog_of(*vault), vault->config(), k_t0 + 50 * k_day);
    CHECK(plan.count(PruneAction::keep) == 4);
    CHECK(plan.count(PruneAction::remove) == 2);
    std::size_t floor_kept = 0;
    for (const PruneDecision& d : plan.decisions) {
        if (d.reason == "min-retained 4")
            ++floor_kept;
    }
    CHECK(floor_kept == 3);
}

TEST_CASE("execute: each removal is recorded before the file goes: the vault stays clean",
          "[vault][prune]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 2);
    Vault vault = small_vault(tmp.path() / "vault", custodians.policy);
    std::vector<StoredBackup> backups;
    for (int i = 0; i < 6; ++i) {
        backups.push_back(add_backup(vault, custodians.policy, k_t0 + i * k_hour));
    }
    const std::int64_t now = k_t0 + 30 * k_day;
    const PrunePlan dry = plan_prune(catalog_of(vault), vault.config(), now);
    auto result = prune_now(vault, now);
    REQUIRE(result.ok());
    // --dry-run is the same plan.
    CHECK(ids_with(result->plan, PruneAction::remove) == ids_with(dry, PruneAction::remove));
    REQUIRE(result->removed.size() == 3);
    for (const std::string& id : result->removed) {
        CHECK_FALSE(fs::exists(vault.dir() / "envelopes" / (id + ".envelope")));
    }
    const AuditChain chain = *read_audit_chain(vault.dir(), vault.vault_id());
    std::vector<std::string> pruned;
    for (const ChainRecord& r : chain.records) {
        if (r.record.type != AuditType::prune)
            continue;
        pruned.push_back(std::string(r.record.field("backup")));
        const StoredBackup* b = nullptr;
        for (const StoredBackup& s : backups) {
            if (s.backup_id == r.record.field("backup"))
                b = &s;
        }
        REQUIRE(b != nullptr);
        CHECK(r.record.field("envelope") == b->envelope_hash);
        CHECK(r.record.actor == "tester@testhost");
    }
    CHECK(pruned == result->removed);
    FakeClock clock(now);
    CheckOptions check_options;
    check_options.clock = &clock;
    auto report = check_vault(vault, check_options);
    REQUIRE(report.ok());
    INFO(describe(report->findings));
    CHECK(report->clean());
    // A second prune has nothing left to do.
    auto again = prune_now(vault, now);
    REQUIRE(again.ok());
    CHECK(again->removed.empty());
}

TEST_CASE("an interrupted prune is finished by the next one", "[vault][prune]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 2);
    Vault vault = small_vault(tmp.path() / "vault", custodians.policy);
    std::vector<StoredBackup> backups;
    for (int i = 0; i < 5; ++i) {
        backups.push_back(add_backup(vault, custodians.policy, k_t0 + i * k_hour));
    }
    // The state a crash between "prune record written" and "envelope unlinked" leaves.
    AuditChain chain = *read_audit_chain(vault.dir(), vault.vault_id());
    AuditRecord record;
    record.type = AuditType::prune;
    record.time = k_t0 + 30 * k_day;
    record.actor = "tester@testhost";
    record.fields = {{"backup", backups[0].backup_id},
                     {"envelope", backups[0].envelope_hash},
                     {"reason", "test"}};
    REQUIRE(
        append_audit_record(vault.dir(), chain, record, &test_support::test_signing_key()).ok());
    CHECK(catalog_of(vault).find(backups[0].backup_id)->state == BackupState::pruned);
    const std::size_t records_before = chain.records.size();

    auto result = prune_now(vault, k_t0 + 30 * k_day);
    REQUIRE(result.ok());
    CHECK(std::find(result->removed.begin(), result->removed.end(), backups[0].backup_id) !=
          result->removed.end());
    CHECK_FALSE(fs::exists(vault.dir() / backups[0].path));
    // No second prune record for it.
    const AuditChain after = *read_audit_chain(vault.dir(), vault.vault_id());
    std::size_t records_for_first = 0;
    for (const ChainRecord& r : after.records) {
        if (r.record.type == AuditType::prune && r.record.field("backup") == backups[0].backup_id)
            ++records_for_first;
    }
    CHECK(records_for_first == 1);
    CHECK(after.records.size() == records_before + result->removed.size() - 1);
}

TEST_CASE("damaged and missing backups are never pruned: a damaged log stops prune",
          "[vault][prune]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 2);
    Vault vault = small_vault(tmp.path() / "vault", custodians.policy);
    std::vector<StoredBackup> backups;
    for (int i = 0; i < 6; ++i) {
        backups.push_back(add_backup(vault, custodians.policy, k_t0 + i * k_hour));
    }
    write_text(vault.dir() / backups[0].path, "garbage\n");
    test_support::remove_write_once_file(vault.dir() / backups[1].path);
    const PrunePlan plan = plan_prune(catalog_of(vault), vault.config(), k_t0 + 30 * k_day);
    const auto skipped = ids_with(plan, PruneAction::skip);
    CHECK(skipped.size() == 2);
    const auto removed = ids_with(plan, PruneAction::remove);
    CHECK(std::find(removed.begin(), removed.end(), backups[0].backup_id) == removed.end());
    CHECK(std::find(removed.begin(), removed.end(), backups[1].backup_id) == removed.end());

    // Now damage the chain: prune refuses and removes nothing.
    AuditChain chain = *read_audit_chain(vault.dir(), vault.vault_id());
    test_support::remove_write_once_file(vault.dir() / chain.records[3].file);
    auto refused = prune_now(vault, k_t0 + 30 * k_day);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::vault_damaged);
    for (std::size_t i = 2; i < backups.size(); ++i) {
        CHECK(fs::exists(vault.dir() / backups[i].path));
    }
}

TEST_CASE("prune refuses to run when its lock was taken over", "[vault][prune]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 2);
    Vault vault = small_vault(tmp.path() / "vault", custodians.policy);
    for (int i = 0; i < 5; ++i)
        add_backup(vault, custodians.policy, k_t0 + i * k_hour);
    FakeClock clock(k_t0 + 30 * k_day);
    LockOptions lock_options;
    lock_options.clock = &clock;
    auto lock = WriterLock::acquire(vault.dir(), lock_options);
    REQUIRE(lock.ok());
    // Someone breaks our lock while we are suspended (F11).
    REQUIRE(break_lock(vault.dir(), BreakMode::force, lock_options).ok());
    PruneOptions options;
    options.signer = &test_support::test_signing_key();
    options.clock = &clock;
    auto history_2 = unverified_history(vault);
    auto result = execute_prune(vault, *lock, history_2, options);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == Errc::lock_lost);
    CHECK(catalog_of(vault).entries.size() == 5);
}
