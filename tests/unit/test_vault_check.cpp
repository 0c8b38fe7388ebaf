// `vault check` (vault/check.hpp, vault/catalog.hpp): clean vaults, orphans (F2), truncated and
// altered envelopes (F14), swapped or put-back envelopes and rolled-back logs (F16), foreign
// envelopes and configs, leftovers, locks and future timestamps (F12). Also generates and checks
// the damaged-vault fixtures under tests/fixtures/vaults/.
#include <algorithm>
#include <map>

#include "platform/file_io.hpp"
#include "test_support.hpp"
#include "test_vault_layout_support.hpp"
#include "vault/catalog.hpp"
#include "vault/check.hpp"
#include "vault/lock.hpp"
#include "vault/prune.hpp"

using namespace vault_test;

namespace {

CheckReport run_check(const Vault& vault, std::int64_t now,
                      std::optional<SeenState> seen = std::nullopt) {
    FakeClock clock(now);
    CheckOptions options;
    options.clock = &clock;
    options.seen = std::move(seen);
    auto report = check_vault(vault, options);
    REQUIRE(report.ok());
    return std::move(report).value();
}

struct Fixture {
    TempDir tmp;
    Custodians custodians = make_custodians(2, 3);
    Vault vault = make_vault(tmp.path() / "vault", custodians.policy);
    StoredBackup first = add_backup(vault, custodians.policy, k_t0 + 60);
    StoredBackup second = add_backup(vault, custodians.policy, k_t0 + 120);
    fs::path path_of(const StoredBackup& b) const { return vault.dir() / b.path; }
};

void rename_over(const fs::path& from, const fs::path& to) {
    fs::rename(from, to);
}

}  // namespace

TEST_CASE("a vault with backups checks clean and lists them verified", "[vault][check]") {
    Fixture f;
    const CheckReport report = run_check(f.vault, k_t0 + 3600);
    INFO(describe(report.findings));
    CHECK(report.clean());
    REQUIRE(report.catalog.entries.size() == 2);
    for (const CatalogEntry& e : report.catalog.entries) {
        CHECK(e.state == BackupState::verified);
        CHECK(e.recorded_as == "backup");
        CHECK(e.computer == "BTS01");
        CHECK(e.current_msid == "{11111111-2222-3333-4444-555555555555}");
        CHECK(e.threshold == 2);
        CHECK(e.custodians.size() == 3);
    }
    CHECK(report.catalog.entries[0].backup_id == f.first.backup_id);
    REQUIRE(report.catalog.newest_verified() != nullptr);
    CHECK(report.catalog.newest_verified()->backup_id == f.second.backup_id);
}

TEST_CASE("an orphan envelope is a warning and is adopted by the next prune (F2)",
          "[vault][check]") {
    Fixture f;
    const std::string orphan = add_orphan(f.vault, f.custodians.policy, k_t0 + 180);
    CheckReport report = run_check(f.vault, k_t0 + 3600);
    CHECK_FALSE(report.damaged());
    CHECK(has_finding(report.findings, Severity::warning, "envelope-orphan",
                      "envelopes/" + orphan + ".envelope"));
    CHECK(report.catalog.find(orphan)->state == BackupState::orphan);

    // The next writer is not blocked: another backup goes in, and prune adopts the orphan.
    add_backup(f.vault, f.custodians.policy, k_t0 + 240);
    FakeClock clock(k_t0 + 3600);
    LockOptions lock_options;
    lock_options.clock = &clock;
    auto lock = WriterLock::acquire(f.vault.dir(), lock_options);
    REQUIRE(lock.ok());
    PruneOptions prune_options;
    prune_options.signer = &test_support::test_signing_key();
    prune_options.clock = &clock;
    auto history_1 = unverified_history(f.vault);
    auto pruned = execute_prune(f.vault, *lock, history_1, prune_options);
    REQUIRE(pruned.ok());
    REQUIRE(lock->release().ok());
    CHECK(pruned->adopted == std::vector<std::string>{orphan});
    report = run_check(f.vault, k_t0 + 3600);
    INFO(describe(report.findings));
    CHECK(report.clean());
    CHECK(report.catalog.find(orphan)->recorded_as == "adopt");
}

TEST_CASE("every truncation class of an envelope is named by file (F14)", "[vault][check]") {
    Fixture f;
    const std::string original = read_text(f.path_of(f.second));
    auto header = parse_envelope_header(as_bytes(original));
    REQUIRE(header.ok());
    const std::vector<std::size_t> sizes{0,
                                         1,
                                         30,
                                         header->header_size - 1,
                                         header->header_size,
                                         header->header_size + 1,
                                         original.size() - 16,
                                         original.size() - 1};
    for (std::size_t size : sizes) {
        INFO("size " << size);
        write_text(f.path_of(f.second), original.substr(0, size));
        const CheckReport report = run_check(f.vault, k_t0 + 3600);
        CHECK(report.damaged());
        CHECK(has_finding(report.findings, Severity::damaged,
                          size == 0 ? "envelope-empty" : "envelope-malformed", f.second.path));
        CHECK(report.catalog.find(f.second.backup_id)->state == BackupState::damaged);
        // The other backup is unaffected.
        CHECK(report.catalog.find(f.first.backup_id)->state == BackupState::verified);
    }
}

TEST_CASE("every single-byte change of an envelope is detected without keys", "[vault][check]") {
    Fixture f;
    const std::string original = read_text(f.path_of(f.second));
    // Every byte position (one flipped bit each): the header parser, the name, or the recorded
    // SHA-256 catches it.
    for (std::size_t i = 0; i < original.size(); i += 7) {
        std::string flipped = original;
        flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
        write_text(f.path_of(f.second), flipped);
        const CheckReport report = run_check(f.vault, k_t0 + 3600);
        INFO("byte " << i);
        REQUIRE(report.catalog.find(f.second.backup_id) != nullptr);
        CHECK(report.catalog.find(f.second.backup_id)->state == BackupState::damaged);
    }
}

TEST_CASE("swapped envelopes and an older envelope put back are detected (F16)", "[vault][check]") {
    Fixture f;
    SECTION("swapped under each other's names") {
        const fs::path a = f.path_of(f.first), b = f.path_of(f.second);
        rename_over(a, f.vault.dir() / "envelopes" / "swap");
        rename_over(b, a);
        rename_over(f.vault.dir() / "envelopes" / "swap", b);
        const CheckReport report = run_check(f.vault, k_t0 + 3600);
        CHECK(
            has_finding(report.findings, Severity::damaged, "envelope-id-mismatch", f.first.path));
        CHECK(
            has_finding(report.findings, Severity::damaged, "envelope-id-mismatch", f.second.path));
    }
    SECTION("the older envelope copied over the newer one") {
        write_text(f.path_of(f.second), read_text(f.path_of(f.first)));
        const CheckReport report = run_check(f.vault, k_t0 + 3600);
        CHECK(
            has_finding(report.findings, Severity::damaged, "envelope-id-mismatch", f.second.path));
    }
    SECTION("a pruned envelope put back") {
        const std::string kept = read_text(f.path_of(f.first));
        AuditChain chain = *read_audit_chain(f.vault.dir(), f.vault.vault_id());
        AuditRecord prune;
        prune.type = AuditType::prune;
        prune.time = k_t0 + 200;
        prune.actor = "tester@testhost";
        prune.fields = {
            {"backup", f.first.backup_id}, {"envelope", f.first.envelope_hash}, {"reason", "test"}};
        REQUIRE(append_audit_record(f.vault.dir(), chain, prune, &test_support::test_signing_key())
                    .ok());
        // Same bytes: an interrupted prune (or a harmless copy): a warning, removed next time.
        CheckReport report = run_check(f.vault, k_t0 + 3600);
        CHECK(has_finding(report.findings, Severity::warning, "prune-incomplete", f.first.path));
        CHECK(report.catalog.find(f.first.backup_id)->state == BackupState::pruned);
        CHECK_FALSE(report.damaged());
        // Other bytes under the pruned id: damage.
        std::string altered = kept;
        altered.back() = static_cast<char>(altered.back() ^ 0x80);
        write_text(f.path_of(f.first), altered);
        report = run_check(f.vault, k_t0 + 3600);
        CHECK(has_finding(report.findings, Severity::damaged, "envelope-signature-invalid",
                          f.first.path));
    }
}

TEST_CASE("an envelope replaced by a valid one of the same id is caught by its hash",
          "[vault][check]") {
    Fixture f;
    // Forge: keep the id line but change the label; the header MAC cannot be checked without
    // keys, but the signature can (and the recorded SHA-256 would).
    std::string text = read_text(f.path_of(f.second));
    const std::size_t at = text.find("label: nightly");
    REQUIRE(at != std::string::npos);
    text.replace(at, 14, "label: nightlx");
    write_text(f.path_of(f.second), text);
    const CheckReport report = run_check(f.vault, k_t0 + 3600);
    CHECK(has_finding(report.findings, Severity::damaged, "envelope-signature-invalid",
                      f.second.path));
}

TEST_CASE("a missing envelope is damage", "[vault][check]") {
    Fixture f;
    test_support::remove_write_once_file(f.path_of(f.first));
    const CheckReport report = run_check(f.vault, k_t0 + 3600);
    CHECK(has_finding(report.findings, Severity::damaged, "envelope-missing", f.first.path));
    CHECK(report.catalog.find(f.first.backup_id)->state == BackupState::missing);
}

TEST_CASE("an envelope sealed to someone else's custodians is damage, not an orphan",
          "[vault][check]") {
    Fixture f;
    const Custodians mallory = make_custodians(2, 2, "mallory");
    const std::string planted = add_orphan(f.vault, mallory.policy, k_t0 + 500);
    const CheckReport report = run_check(f.vault, k_t0 + 3600);
    CHECK(has_finding(report.findings, Severity::damaged, "envelope-foreign-policy",
                      "envelopes/" + planted + ".envelope"));
    CHECK(report.catalog.find(planted)->state == BackupState::damaged);
}

TEST_CASE("a config replaced outside ssoescrow is damage", "[vault][check]") {
    Fixture f;
    const Custodians mallory = make_custodians(2, 2, "mallory");
    VaultConfig forged = f.vault.config();
    auto normalised = mallory.policy.normalised();
    REQUIRE(normalised.ok());
    forged.escrow = *normalised;
    write_text(f.vault.config_path(), forged.serialise());  // valid checksum, other custodians
    auto reopened = Vault::open(f.vault.dir());
    REQUIRE(reopened.ok());
    const CheckReport report = run_check(*reopened, k_t0 + 3600);
    CHECK(has_finding(report.findings, Severity::damaged, "config-not-recorded", "config"));
}

TEST_CASE("leftovers, unknown files, locks and future times are warnings", "[vault][check]") {
    Fixture f;
    SECTION("temp files and unknown files") {
        write_text(f.vault.dir() / "envelopes" / ".tmp-00112233445566778899aabbccddeeff", "x");
        write_text(f.vault.dir() / ".tmp-ffeeddccbbaa99887766554433221100", "x");
        write_text(f.vault.dir() / "README", "x");
        write_text(f.vault.dir() / "envelopes" / "backup.old", "x");
        const CheckReport report = run_check(f.vault, k_t0 + 3600);
        CHECK_FALSE(report.damaged());
        CHECK(has_finding(report.findings, Severity::warning, "temp-file",
                          "envelopes/.tmp-00112233445566778899aabbccddeeff"));
        CHECK(has_finding(report.findings, Severity::warning, "temp-file",
                          ".tmp-ffeeddccbbaa99887766554433221100"));
        CHECK(has_finding(report.findings, Severity::warning, "unknown-file", "README"));
        CHECK(has_finding(report.findings, Severity::warning, "unknown-file",
                          "envelopes/backup.old"));
    }
    SECTION("a stale lock from another host") {
        LockInfo info{std::string(32, 'a'), "OTHERHOST", 4242, "backup", k_t0, k_t0, 900};
        write_text(f.vault.dir() / "locks" / "writer.lock", serialise_lock(info));
        const CheckReport report = run_check(f.vault, k_t0 + 30 * k_day);
        CHECK(has_finding(report.findings, Severity::warning, "lock-stale", "locks/writer.lock"));
        CHECK_FALSE(report.damaged());
    }
    SECTION("a live lock") {
        LockInfo info{std::string(32, 'a'), "OTHERHOST", 4242, "backup", k_t0, k_t0, 900};
        write_text(f.vault.dir() / "locks" / "writer.lock", serialise_lock(info));
        const CheckReport report = run_check(f.vault, k_t0 + 60);
        // A writer at work is noted, not a problem: the check stays clean (exit 0).
        CHECK(has_finding(report.findings, Severity::info, "lock-held", "locks/writer.lock"));
        CHECK(report.clean());
        CHECK(severity_name(Severity::info) == "info");
    }
    SECTION("records from the future (clock skew)") {
        const CheckReport report = run_check(f.vault, k_t0 - 3 * k_hour);
        CHECK(has_finding(report.findings, Severity::warning, "time-in-future"));
        CHECK_FALSE(report.damaged());
    }
}

TEST_CASE("a vault directory replaced by a symbolic link is damage", "[vault][check]") {
    Fixture f;
    const fs::path elsewhere = f.tmp.path() / "elsewhere";
    fs::create_directories(elsewhere);
    const fs::path locks = f.vault.dir() / "locks";
    std::error_code ec;
    fs::remove_all(locks, ec);
    fs::create_directory_symlink(elsewhere, locks, ec);
    if (ec) {
        // Windows without the symlink privilege: the link cannot exist there, nothing to check.
        CHECK(ec);
        return;
    }
    const CheckReport report = run_check(f.vault, k_t0 + 3600);
    INFO(describe(report.findings));
    CHECK(has_finding(report.findings, Severity::damaged, "directory-symlink", "locks"));
    CHECK(report.damaged());
}

TEST_CASE("a departure record must name a custodian of the vault", "[vault][check]") {
    Fixture f;
    auto append_departure = [&](const std::string& fingerprint) {
        auto chain = read_audit_chain(f.vault.dir(), f.vault.vault_id());
        REQUIRE(chain.ok());
        AuditRecord record;
        record.type = AuditType::custodian_departed;
        record.time = k_t0 + 600;
        record.actor = "ops@bts01";
        record.fields = {{"custodian", fingerprint}, {"reason", "left"}};
        auto written =
            append_audit_record(f.vault.dir(), *chain, record, &test_support::test_signing_key());
        REQUIRE(written.ok());
        return written->file;
    };
    append_departure(f.custodians.policy.recipients[0].fingerprint());
    CHECK(run_check(f.vault, k_t0 + 3600).findings.empty());
    const std::string file = append_departure("0000-0000-0000-0000-0000-0000-0000-0000");
    const CheckReport report = run_check(f.vault, k_t0 + 3600);
    CHECK(has_finding(report.findings, Severity::warning, "audit-unknown-custodian", file));
    CHECK_FALSE(report.damaged());
}

TEST_CASE("check compares the chain with the latest-seen state (F16)", "[vault][check]") {
    Fixture f;
    AuditChain chain = *read_audit_chain(f.vault.dir(), f.vault.vault_id());
    const SeenState seen{f.vault.vault_id(), chain.head_seq(), chain.head_hash(), k_t0 + 200};
    CHECK(run_check(f.vault, k_t0 + 3600, seen).clean());
    test_support::remove_write_once_file(f.vault.dir() /
                                         chain.records.back().file);  // the newest backup's record
    const CheckReport report = run_check(f.vault, k_t0 + 3600, seen);
    CHECK(has_finding(report.findings, Severity::damaged, "audit-rolled-back"));
}

TEST_CASE("store_envelope refuses an envelope of another policy and a damaged log",
          "[vault][check]") {
    Fixture f;
    FakeClock clock(k_t0 + 1000);
    LockOptions lock_options;
    lock_options.clock = &clock;
    auto lock = WriterLock::acquire(f.vault.dir(), lock_options);
    REQUIRE(lock.ok());
    const Custodians mallory = make_custodians(2, 2, "mallory");
    auto history_2 = unverified_history(f.vault);
    auto foreign =
        store_envelope(f.vault, *lock, history_2, seal_at(f.vault, mallory.policy, k_t0 + 1000),
                       AuditType::backup, k_t0 + 1000, test_support::test_signing_key());
    REQUIRE_FALSE(foreign.ok());
    CHECK(foreign.error().code == Errc::policy_mismatch);

    AuditChain chain = *read_audit_chain(f.vault.dir(), f.vault.vault_id());
    test_support::remove_write_once_file(f.vault.dir() / chain.records[1].file);
    const std::size_t before =
        std::distance(fs::directory_iterator(f.vault.envelopes_dir()), fs::directory_iterator());
    auto history_3 = unverified_history(f.vault);
    auto refused = store_envelope(f.vault, *lock, history_3,
                                  seal_at(f.vault, f.custodians.policy, k_t0 + 1000),
                                  AuditType::backup, k_t0 + 1000, test_support::test_signing_key());
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::vault_damaged);
    CHECK(std::distance(fs::directory_iterator(f.vault.envelopes_dir()),
                        fs::directory_iterator()) == static_cast<std::ptrdiff_t>(before));
    REQUIRE(lock->release().ok());
}

// --- Damaged-vault fixtures ---------------------------------------------------------------------
//
// tests/fixtures/vaults/<name>/vault/           a vault in a known state
// tests/fixtures/vaults/<name>/expected-check.txt
//     exit: <0 clean | 1 warnings | 2 damaged | 3 could not check>
//     error: <text>                 (exit 3 only: part of the error message)
//     <severity> <code> <file>      one line per finding, in check's order
//
// Regenerate (the vaults get fresh ids and keys; the expectations are written by hand below):
//   build/tests/unit_tests '[generate-vault-fixtures]'
// then commit tests/fixtures/vaults/.

namespace {

const fs::path k_fixtures = fs::path(SSOESCROW_TESTS_DIR) / "fixtures" / "vaults";
constexpr std::int64_t k_fixture_t0 = 1767225600;  // 2026-01-01T00:00:00Z

struct Expected {
    int exit = 0;
    std::string error;
    std::vector<std::string> findings;  // "severity code file"
};

void write_expected(const fs::path& dir, const Expected& expected) {
    std::string text =
        "# expected result of 'ssoescrow vault check --no-state --vault vault'\n"
        "exit: " +
        std::to_string(expected.exit) + "\n";
    if (!expected.error.empty())
        text += "error: " + expected.error + "\n";
    for (const std::string& line : expected.findings)
        text += line + "\n";
    std::ofstream(dir / "expected-check.txt", std::ios::binary) << text;
}

Expected read_expected(const fs::path& file) {
    Expected out;
    std::istringstream in(read_text(file));
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        if (line.rfind("exit: ", 0) == 0) {
            out.exit = std::stoi(line.substr(6));
        } else if (line.rfind("error: ", 0) == 0) {
            out.error = line.substr(7);
        } else {
            out.findings.push_back(line);
        }
    }
    return out;
}

// Git keeps neither modes nor empty directories: make every fixture file writable by its owner
// so the tree can be cleaned, and give every directory a file.
void normalise_modes(const fs::path& dir) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        fs::permissions(e.path(), e.is_directory()
                                      ? fs::perms::owner_all
                                      : fs::perms::owner_read | fs::perms::owner_write);
    }
}

struct Made {
    fs::path vault;
    Vault opened;
    StoredBackup first, second, third;
};

Made make_fixture(const fs::path& base, const Custodians& custodians) {
    std::error_code ec;
    fs::remove_all(base, ec);
    fs::create_directories(base);
    Vault vault = make_vault(base / "vault", custodians.policy, k_fixture_t0);
    StoredBackup a = add_backup(vault, custodians.policy, k_fixture_t0 + 86400);
    StoredBackup b = add_backup(vault, custodians.policy, k_fixture_t0 + 2 * 86400);
    StoredBackup c = add_backup(vault, custodians.policy, k_fixture_t0 + 3 * 86400);
    return {base / "vault", std::move(vault), a, b, c};
}

std::string line(const char* severity, const char* code, const std::string& file) {
    return std::string(severity) + " " + code + " " + file;
}

}  // namespace

TEST_CASE("generate the damaged-vault fixtures", "[.][generate-vault-fixtures]") {
    const Custodians custodians = make_custodians(2, 3, "fixture");
    std::error_code ec;
    fs::remove_all(k_fixtures, ec);
    fs::create_directories(k_fixtures);
    auto finish = [&](const std::string& name, const Expected& expected) {
        normalise_modes(k_fixtures / name);
        write_expected(k_fixtures / name, expected);
    };

    {
        Made m = make_fixture(k_fixtures / "clean", custodians);
        finish("clean", {0, "", {}});
    }
    {
        Made m = make_fixture(k_fixtures / "missing-envelope", custodians);
        test_support::remove_write_once_file(m.vault / m.second.path);
        finish("missing-envelope", {2, "", {line("damaged", "envelope-missing", m.second.path)}});
    }
    {
        Made m = make_fixture(k_fixtures / "flipped-tag-byte", custodians);
        std::string text = read_text(m.vault / m.second.path);
        text.back() = static_cast<char>(text.back() ^ 0x01);  // last byte of the AEAD tag
        write_text(m.vault / m.second.path, text);
        // The payload's SHA-256 is signed: the signature check catches it before the hash.
        finish("flipped-tag-byte",
               {2, "", {line("damaged", "envelope-signature-invalid", m.second.path)}});
    }
    {
        Made m = make_fixture(k_fixtures / "flipped-header-byte", custodians);
        std::string text = read_text(m.vault / m.second.path);
        text[text.find("threshold: 2")] = 'T';
        write_text(m.vault / m.second.path, text);
        finish("flipped-header-byte",
               {2, "", {line("damaged", "envelope-malformed", m.second.path)}});
    }
    {
        Made m = make_fixture(k_fixtures / "truncated-envelope", custodians);
        std::string text = read_text(m.vault / m.third.path);
        write_text(m.vault / m.third.path, text.substr(0, text.size() - 40));
        finish("truncated-envelope",
               {2, "", {line("damaged", "envelope-malformed", m.third.path)}});
    }
    {
        Made m = make_fixture(k_fixtures / "empty-envelope", custodians);
        write_text(m.vault / m.first.path, "");
        finish("empty-envelope", {2, "", {line("damaged", "envelope-empty", m.first.path)}});
    }
    {
        Made m = make_fixture(k_fixtures / "orphan-envelope", custodians);
        const std::string orphan =
            add_orphan(m.opened, custodians.policy, k_fixture_t0 + 4 * 86400);
        finish("orphan-envelope",
               {1, "", {line("warning", "envelope-orphan", "envelopes/" + orphan + ".envelope")}});
    }
    {
        Made m = make_fixture(k_fixtures / "swapped-envelopes", custodians);
        const fs::path a = m.vault / m.first.path, b = m.vault / m.second.path;
        const fs::path tmp = m.vault / "swap";
        fs::rename(a, tmp);
        fs::rename(b, a);
        fs::rename(tmp, b);
        std::vector<std::string> lines{line("damaged", "envelope-id-mismatch", m.first.path),
                                       line("damaged", "envelope-id-mismatch", m.second.path)};
        std::sort(lines.begin(), lines.end(), [](const std::string& x, const std::string& y) {
            return x.substr(x.rfind(' ')) < y.substr(y.rfind(' '));
        });
        finish("swapped-envelopes", {2, "", lines});
    }
    {
        Made m = make_fixture(k_fixtures / "leftover-temp-file", custodians);
        write_text(m.vault / "envelopes" / ".tmp-5f0e9c1d2b3a49587f6e5d4c3b2a1908", "partial");
        finish("leftover-temp-file",
               {1,
                "",
                {line("warning", "temp-file", "envelopes/.tmp-5f0e9c1d2b3a49587f6e5d4c3b2a1908")}});
    }
    {
        Made m = make_fixture(k_fixtures / "stale-lock", custodians);
        const LockInfo info{
            "3c1f5e7a9b2d4c6e8f0a1b3c5d7e9f02", "BTS-OLD", 4242, "backup", k_fixture_t0 + 3 * 86400,
            k_fixture_t0 + 3 * 86400,           900};
        fs::create_directories(m.vault / "locks");
        write_text(m.vault / "locks" / "writer.lock", serialise_lock(info));
        fs::remove(m.vault / "locks" / "writer.guard");
        finish("stale-lock", {1, "", {line("warning", "lock-stale", "locks/writer.lock")}});
    }
    {
        Made m = make_fixture(k_fixtures / "audit-entry-removed", custodians);
        AuditChain chain = *read_audit_chain(m.vault, m.opened.vault_id());
        REQUIRE(chain.records.size() == 4);
        test_support::remove_write_once_file(
            m.vault / chain.records[2].file);  // the record of the second backup
        finish("audit-entry-removed", {2,
                                       "",
                                       {line("damaged", "audit-gap", chain.records[3].file),
                                        line("warning", "envelope-orphan", m.second.path)}});
    }
    {
        Made m = make_fixture(k_fixtures / "audit-entry-edited", custodians);
        AuditChain chain = *read_audit_chain(m.vault, m.opened.vault_id());
        std::string text = read_text(m.vault / chain.records[1].file);
        text.replace(text.find("computer: BTS01"), 15, "computer: BTS99");
        write_text(m.vault / chain.records[1].file, text);
        finish("audit-entry-edited",
               {2,
                "",
                {line("damaged", "audit-record-altered", chain.records[1].file),
                 line("warning", "envelope-orphan", m.first.path)}});
    }
    {
        Made m = make_fixture(k_fixtures / "unsupported-version", custodians);
        std::string text = read_text(m.vault / "config");
        text.replace(0, 17, "ssoescrow-vault/2");
        write_text(m.vault / "config", text);
        finish("unsupported-version", {3, "unsupported version 2", {}});
    }
    {
        Made m = make_fixture(k_fixtures / "zero-filled-config", custodians);
        const std::size_t size = read_text(m.vault / "config").size();
        write_text(m.vault / "config", std::string(size, '\0'));
        finish("zero-filled-config", {2, "", {line("damaged", "config-damaged", "config")}});
    }
    {
        Made m = make_fixture(k_fixtures / "empty-config", custodians);
        write_text(m.vault / "config", "");
        finish("empty-config", {2, "", {line("damaged", "config-damaged", "config")}});
    }
    {
        Made m = make_fixture(k_fixtures / "old-format-version", custodians);
        std::string text = read_text(m.vault / "config");
        text.replace(0, 17, "ssoescrow-vault/0");
        write_text(m.vault / "config", text);
        finish("old-format-version", {3, "unsupported version 0", {}});
    }
}

TEST_CASE("vault check diagnoses every damaged-vault fixture exactly", "[vault][check][fixtures]") {
    REQUIRE(fs::is_directory(k_fixtures));
    std::size_t seen = 0;
    for (const auto& entry : fs::directory_iterator(k_fixtures)) {
        if (!entry.is_directory())
            continue;
        ++seen;
        const std::string name = entry.path().filename().string();
        INFO("fixture " << name);
        const Expected expected = read_expected(entry.path() / "expected-check.txt");
        auto opened = Vault::open(entry.path() / "vault");
        std::vector<std::string> actual;
        int exit = 0;
        if (!opened) {
            if (opened.error().code == Errc::vault_damaged) {
                exit = 2;
                actual.push_back("damaged config-damaged config");
            } else {
                exit = 3;
                INFO(opened.error().message);
                CHECK(opened.error().message.find(expected.error) != std::string::npos);
            }
        } else {
            const CheckReport report = run_check(*opened, k_fixture_t0 + 30 * k_day);
            for (const Finding& f : report.findings) {
                actual.push_back(std::string(severity_name(f.severity)) + " " + f.code + " " +
                                 f.file);
            }
            exit = report.clean() ? 0 : report.damaged() ? 2 : 1;
            INFO(describe(report.findings));
            CHECK(actual == expected.findings);
        }
        CHECK(exit == expected.exit);
        if (exit == 2 && !opened)
            CHECK(actual == expected.findings);
    }
    CHECK(seen >= 15);
}
