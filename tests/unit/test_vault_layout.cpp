// The vault layout and config (vault/config.hpp, vault/vault.hpp, vault/text_format.hpp):
// canonical round trip, one accepted spelling, versions, ceilings, every truncation and bit flip,
// empty and zero-filled configs (F3), init refusals, read-only open (F6/F7).

#include "platform/file_io.hpp"
#include "test_vault_layout_support.hpp"
#include "vault/config.hpp"
#include "vault/text_format.hpp"

using namespace vault_test;

namespace {

VaultConfig sample_config() {
    static const Custodians custodians = make_custodians(2, 3);
    VaultConfig config;
    for (std::size_t i = 0; i < config.vault_id.size(); ++i) {
        config.vault_id[i] = static_cast<std::uint8_t>(0xa0 + i);
    }
    config.created = k_t0;
    auto normalised = custodians.policy.normalised();
    REQUIRE(normalised.ok());
    config.escrow = std::move(normalised).value();
    return config;
}

// Replaces the checksum line so that a deliberately altered body gets past the checksum and
// reaches the field parser.
std::string with_checksum(const std::string& text) {
    const std::size_t at = text.rfind("checksum: ");
    REQUIRE(at != std::string::npos);
    const std::string body = text.substr(0, at);
    return body + "checksum: " + to_hex(crypto::sha256(as_bytes(body))) + "\n";
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
    const std::size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return text;
}

Errc parse_code(const std::string& text) {
    auto parsed = parse_config(text, "config");
    REQUIRE_FALSE(parsed.ok());
    return parsed.error().code;
}

}  // namespace

TEST_CASE("times are RFC 3339 UTC with one spelling", "[vault][layout]") {
    CHECK(format_time(0) == "1970-01-01T00:00:00Z");
    CHECK(format_time(k_t0) == "2026-11-26T12:34:56Z");
    CHECK(format_time(951782400) == "2000-02-29T00:00:00Z");
    for (std::int64_t t : {std::int64_t{0}, std::int64_t{951782400}, k_t0, k_max_time}) {
        auto parsed = parse_time(format_time(t), "t");
        REQUIRE(parsed.ok());
        CHECK(*parsed == t);
    }
    for (const char* bad :
         {"2026-11-26 12:34:56Z", "2026-11-26T12:34:56", "2026-11-26T12:34:56+00:00",
          "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-26T24:00:00Z",
          "1969-12-31T23:59:59Z", "2026-11-26T12:34:56.5Z", "2026-1-26T12:34:56Z"}) {
        INFO(bad);
        CHECK_FALSE(parse_time(bad, "t").ok());
    }
}

TEST_CASE("durations: canonical in files, any divisible unit on the command line",
          "[vault][layout]") {
    CHECK(format_duration(86400) == "1d");
    CHECK(format_duration(26 * 3600) == "26h");
    CHECK(format_duration(90) == "90s");
    CHECK(format_duration(0) == "0s");
    CHECK(*parse_duration("26h", "d") == 26 * 3600);
    CHECK_FALSE(parse_duration("24h", "d").ok());  // canonical is 1d
    CHECK_FALSE(parse_duration("1440m", "d").ok());
    CHECK_FALSE(parse_duration("01d", "d").ok());
    CHECK_FALSE(parse_duration("1", "d").ok());
    CHECK_FALSE(parse_duration("d", "d").ok());
    CHECK_FALSE(parse_duration("-1d", "d").ok());
    CHECK_FALSE(parse_duration("1w", "d").ok());
    CHECK(*parse_duration_flag("24h", "d") == 86400);
    CHECK(*parse_duration_flag("86400s", "d") == 86400);
    auto huge = parse_duration_flag("99999999999999d", "d");
    REQUIRE_FALSE(huge.ok());
    CHECK(huge.error().code == Errc::limit_exceeded);
}

TEST_CASE("text values refuse control bytes, bad UTF-8 and path tricks", "[vault][layout]") {
    CHECK(check_text("BizTalk nœud 1", "t").ok());
    CHECK_FALSE(check_text("", "t").ok());
    CHECK_FALSE(check_text(" lead", "t").ok());
    CHECK_FALSE(check_text("trail ", "t").ok());
    CHECK_FALSE(check_text(std::string("a\0b", 3), "t").ok());
    CHECK_FALSE(check_text("a\tb", "t").ok());
    CHECK_FALSE(check_text("\xc3", "t").ok());
    CHECK_FALSE(check_text("\xc0\xaf", "t").ok());      // overlong '/'
    CHECK_FALSE(check_text("\xed\xa0\x80", "t").ok());  // surrogate
    CHECK_FALSE(check_text("\xc2\x85", "t").ok());      // C1 control
    CHECK_FALSE(check_text(std::string(257, 'a'), "t").ok());
    CHECK(check_token("alice@host", "t").ok());
    CHECK_FALSE(check_token("a b", "t").ok());
    CHECK_FALSE(check_hex("../../etc/passwd", 8, "id").ok());  // I13: ids are hex only
    CHECK_FALSE(check_hex("ABCDEF0123456789", 8, "id").ok());
    CHECK(check_hex("abcdef0123456789", 8, "id").ok());
}

TEST_CASE("config round trip is byte-exact", "[vault][layout]") {
    VaultConfig config = sample_config();
    config.freshness.max_backup_age = 8 * k_hour;
    config.freshness.critical_backup_age = 1 * k_day;
    config.retention.keep_last = 10;
    const std::string text = config.serialise();
    auto parsed = parse_config(text, "config");
    REQUIRE(parsed.ok());
    CHECK(parsed->serialise() == text);
    CHECK(parsed->vault_id == config.vault_id);
    CHECK(parsed->created == config.created);
    CHECK(parsed->freshness == config.freshness);
    CHECK(parsed->retention == config.retention);
    CHECK(parsed->escrow.fingerprint() == config.escrow.fingerprint());
    CHECK(text.rfind("ssoescrow-vault/1\nvault-id: a0a1a2a3", 0) == 0);
    CHECK(text.find("max-backup-age: 8h\n") != std::string::npos);
}

TEST_CASE("config defaults follow daily backups retained 35 days", "[vault][layout]") {
    const VaultConfig config = sample_config();
    CHECK(config.freshness.max_backup_age == 26 * k_hour);
    CHECK(config.freshness.max_drill_age == 90 * k_day);
    CHECK(config.freshness.min_retention == 35 * k_day);
    CHECK(config.retention.keep_within == 35 * k_day);
    const std::string text = config.serialise();
    CHECK(text.find("max-drill-age: 90d\n") != std::string::npos);
    CHECK(text.find("min-retention: 35d\n") != std::string::npos);
}

TEST_CASE("max-key-age: optional line, absent means the default, canonical when present",
          "[vault][layout]") {
    // A config written before the line existed keeps its bytes and gets the default.
    const std::string without = sample_config().serialise();
    CHECK(without.find("max-key-age") == std::string::npos);
    auto old = parse_config(without, "config");
    REQUIRE(old.ok());
    CHECK_FALSE(old->freshness.max_key_age.has_value());
    CHECK(old->freshness.effective_max_key_age() == k_default_max_key_age);
    CHECK(k_default_max_key_age == 730 * k_day);

    VaultConfig config = sample_config();
    config.freshness.max_key_age = 365 * k_day;
    const std::string with = config.serialise();
    CHECK(with.find("keep-within: 35d\nmax-key-age: 365d\nssoescrow-policy/2\n") !=
          std::string::npos);
    auto parsed = parse_config(with, "config");
    REQUIRE(parsed.ok());
    CHECK(parsed->freshness == config.freshness);
    CHECK(parsed->serialise() == with);

    // Not canonical, zero, out of place or repeated: refused.
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"max-key-age: 365d\n", "max-key-age: 8760h\n"},
             {"max-key-age: 365d\n", "max-key-age:365d\n"},
             {"max-key-age: 365d\n", "max-key-age: 365d\nmax-key-age: 365d\n"},
             {"keep-within: 35d\nmax-key-age: 365d\n", "max-key-age: 365d\nkeep-within: 35d\n"},
             {"max-key-age: 365d\nssoescrow-policy/2\n", "ssoescrow-policy/2\nmax-key-age: 365d\n"},
         }) {
        INFO(from << " -> " << to);
        CHECK_FALSE(parse_config(with_checksum(replace_once(with, from, to)), "config").ok());
    }
    CHECK(parse_code(with_checksum(replace_once(with, "max-key-age: 365d", "max-key-age: 0s"))) ==
          Errc::invalid_argument);
    config.freshness.max_key_age = 0;
    CHECK_FALSE(config.validate().ok());
}

TEST_CASE("only the canonical config is accepted", "[vault][layout]") {
    const std::string good = sample_config().serialise();
    const std::vector<std::pair<std::string, std::string>> variants{
        {"max-backup-age: 26h\n", "max-backup-age: 1560m\n"},
        {"min-retained: 7\n", "min-retained: 07\n"},
        {"keep-last: 35\n", "keep-last:  35\n"},
        {"keep-last: 35\n", "keep-last : 35\n"},
        {"keep-last: 35\n", "keep-last: 35 \n"},
        {"keep-last: 35\n", "keep-last: 35\r\n"},
        {"keep-last: 35\n", "keep-last: 35\nextra: 1\n"},
        {"keep-within: 35d\n", ""},
        {"vault-id: a0", "vault-id: A0"},
        {"created: 2026-11-26T12:34:56Z", "created: 2026-11-26T12:34:56+00:00"},
        {"max-backup-age: 26h\ncritical-backup-age: 3d\n",
         "critical-backup-age: 3d\nmax-backup-age: 26h\n"},
    };
    for (const auto& [from, to] : variants) {
        INFO(from << " -> " << to);
        const std::string text = with_checksum(replace_once(good, from, to));
        auto parsed = parse_config(text, "config");
        CHECK_FALSE(parsed.ok());
    }
}

TEST_CASE("config rules: ages, ordering, threshold", "[vault][layout]") {
    VaultConfig config = sample_config();
    config.freshness.critical_backup_age = k_hour;  // shorter than max-backup-age
    auto valid = config.validate();
    REQUIRE_FALSE(valid.ok());
    CHECK(valid.error().code == Errc::invalid_argument);
    CHECK(valid.error().message.find("critical-backup-age") != std::string::npos);

    const std::string good = sample_config().serialise();
    CHECK(parse_code(with_checksum(replace_once(good, "max-drill-age: 90d",
                                                "max-drill-age: 0s"))) == Errc::invalid_argument);
    CHECK(parse_code(with_checksum(replace_once(good, "keep-last: 35", "keep-last: 0"))) ==
          Errc::invalid_argument);
    CHECK(parse_code(with_checksum(replace_once(good, "threshold: 2", "threshold: 4"))) !=
          Errc::internal);
}

TEST_CASE("unsupported config versions are refused by number", "[vault][layout]") {
    const std::string good = sample_config().serialise();
    for (const char* version : {"2", "0", "17"}) {
        const std::string text = with_checksum(
            replace_once(good, "ssoescrow-vault/1", std::string("ssoescrow-vault/") + version));
        auto parsed = parse_config(text, "config");
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().code == Errc::unsupported_version);
        CHECK(parsed.error().message.find(std::string("unsupported version ") + version) !=
              std::string::npos);
    }
    // Even without a valid checksum the version is what is reported.
    auto newer = parse_config(replace_once(good, "ssoescrow-vault/1", "ssoescrow-vault/2"), "c");
    REQUIRE_FALSE(newer.ok());
    CHECK(newer.error().code == Errc::unsupported_version);
    CHECK(parse_code("ssoescrow-backup/1\n") == Errc::parse);
}

TEST_CASE("an empty or zero-filled config is damage, never an empty vault (F3)",
          "[vault][layout]") {
    auto empty = parse_config("", "v/config");
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().code == Errc::vault_damaged);
    CHECK(empty.error().message.find("empty") != std::string::npos);
    auto zeros = parse_config(std::string(4096, '\0'), "v/config");
    REQUIRE_FALSE(zeros.ok());
    CHECK(zeros.error().code == Errc::vault_damaged);
    CHECK(zeros.error().message.find("zero-filled") != std::string::npos);
}

TEST_CASE("config size ceiling is checked before parsing", "[vault][layout]") {
    auto big = parse_config(std::string(k_max_config_size + 1, 'a'), "config");
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().code == Errc::limit_exceeded);
}

TEST_CASE("every truncation of the config is detected", "[vault][layout]") {
    const std::string good = sample_config().serialise();
    for (std::size_t size = 0; size < good.size(); ++size) {
        auto parsed = parse_config(good.substr(0, size), "config");
        INFO("size " << size);
        REQUIRE_FALSE(parsed.ok());
    }
}

TEST_CASE("every bit flip of the config is detected", "[vault][layout]") {
    const std::string good = sample_config().serialise();
    for (std::size_t i = 0; i < good.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string flipped = good;
            flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
            auto parsed = parse_config(flipped, "config");
            INFO("byte " << i << " bit " << bit);
            REQUIRE_FALSE(parsed.ok());
        }
    }
}

TEST_CASE("vault init lays out the directory and records vault-init", "[vault][layout]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 3);
    const fs::path dir = tmp.path() / "vault";
    const Vault vault = make_vault(dir, custodians.policy);
    CHECK(fs::is_directory(dir));
    CHECK(fs::is_regular_file(dir / "config"));
    CHECK(fs::is_directory(dir / "envelopes"));
    CHECK(fs::is_directory(dir / "audit"));
    CHECK_FALSE(fs::exists(dir / "locks" / "writer.lock"));

    auto reopened = Vault::open(dir);
    REQUIRE(reopened.ok());
    CHECK(reopened->vault_id() == vault.vault_id());
    CHECK(reopened->config_hash() == audit_hash(read_text(dir / "config")));
    auto chain = read_audit_chain(dir, vault.vault_id());
    REQUIRE(chain.ok());
    CHECK(chain->intact());
    REQUIRE(chain->records.size() == 1);
    const AuditRecord& init = chain->records[0].record;
    CHECK(init.type == AuditType::vault_init);
    CHECK(init.field("config") == vault.config_hash());
    CHECK(init.field("policy") == vault.config().escrow.fingerprint());
    CHECK(init.fields_named("custodian").size() == 3);
    CHECK(init.actor == "tester@testhost");
}

TEST_CASE("vault init refuses an existing vault, a non-empty directory and bad policies",
          "[vault][layout]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 3);
    Vault::InitOptions options;
    options.escrow = custodians.policy;
    const fs::path dir = tmp.path() / "vault";
    REQUIRE(Vault::init(dir, options).ok());

    auto again = Vault::init(dir, options);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == Errc::already_exists);
    CHECK(again.error().message.find("already a vault") != std::string::npos);

    const fs::path other = tmp.path() / "other";
    fs::create_directory(other);
    fs::permissions(other, fs::perms::owner_all);
    write_text(other / "notes.txt", "x");
    auto not_empty = Vault::init(other, options);
    REQUIRE_FALSE(not_empty.ok());
    CHECK(not_empty.error().code == Errc::already_exists);
    CHECK(not_empty.error().message.find("not empty") != std::string::npos);

    Vault::InitOptions too_high = options;
    too_high.escrow.threshold = 4;
    auto k_over_n = Vault::init(tmp.path() / "k-over-n", too_high);
    REQUIRE_FALSE(k_over_n.ok());
    CHECK(k_over_n.error().code == Errc::invalid_argument);
    CHECK_FALSE(fs::exists(tmp.path() / "k-over-n"));  // refused before anything is created

    Vault::InitOptions single = options;
    single.escrow.threshold = 1;
    single.escrow.allow_single_custodian = false;
    auto k_one = Vault::init(tmp.path() / "single", single);
    REQUIRE_FALSE(k_one.ok());
    CHECK(k_one.error().code == Errc::invalid_argument);
    single.escrow.allow_single_custodian = true;
    CHECK(Vault::init(tmp.path() / "single", single).ok());

    Vault::InitOptions duplicate = options;
    duplicate.escrow.recipients.push_back(duplicate.escrow.recipients[0]);
    auto dup = Vault::init(tmp.path() / "dup", duplicate);
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().message.find(custodians.policy.recipients[0].fingerprint()) !=
          std::string::npos);
}

TEST_CASE("opening: no vault, an interrupted init, damaged configs", "[vault][layout]") {
    TempDir tmp;
    auto missing = Vault::open(tmp.path() / "nothing");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == Errc::not_found);

    auto empty_dir = Vault::open(tmp.path());
    REQUIRE_FALSE(empty_dir.ok());
    CHECK(empty_dir.error().code == Errc::not_found);
    CHECK(empty_dir.error().message.find("not a vault") != std::string::npos);

    const Custodians custodians = make_custodians(2, 2);
    const fs::path dir = tmp.path() / "vault";
    make_vault(dir, custodians.policy);
    const std::string config = read_text(dir / "config");

    write_text(dir / "config", std::string(config.size(), '\0'));
    auto zeros = Vault::open(dir);
    REQUIRE_FALSE(zeros.ok());
    CHECK(zeros.error().code == Errc::vault_damaged);
    CHECK(zeros.error().message.find("zero-filled") != std::string::npos);

    fs::remove(dir / "config");
    auto gone = Vault::open(dir);
    REQUIRE_FALSE(gone.ok());
    CHECK(gone.error().code == Errc::vault_damaged);
    CHECK(gone.error().message.find("has no config") != std::string::npos);
}

TEST_CASE("opening and reading a read-only vault writes nothing (F6, F7)", "[vault][layout]") {
    TempDir tmp;
    const Custodians custodians = make_custodians(2, 2);
    const fs::path dir = tmp.path() / "vault";
    const Vault vault = make_vault(dir, custodians.policy);
    add_backup(vault, custodians.policy, k_t0 + 10);
    // Make the whole vault read-only (as on WORM media); as root the permission bits do not stop
    // writes, so compare the directory listing and modification times instead.
    auto snapshot = [&] {
        std::vector<std::string> out;
        for (const auto& e : fs::recursive_directory_iterator(dir)) {
            out.push_back(e.path().string() + " " +
                          std::to_string(fs::last_write_time(e.path()).time_since_epoch().count()));
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    const auto before = snapshot();
    auto opened = Vault::open(dir);
    REQUIRE(opened.ok());
    auto chain = read_audit_chain(dir, opened->vault_id());
    REQUIRE(chain.ok());
    CHECK(chain->intact());
    CHECK(snapshot() == before);
}
