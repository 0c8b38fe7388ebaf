#include "vault/config.hpp"

#include <stdexcept>

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"

namespace ssoescrow::vault {

namespace {

constexpr std::int64_t k_max_duration = 100LL * 365 * k_day;
constexpr std::size_t k_max_config_lines = 16 + k_max_recipients;
constexpr std::string_view k_checksum_key = "checksum: ";

Status check_age(std::int64_t value, std::string_view field) {
    if (value <= 0) {
        return make_error(Errc::invalid_argument, std::string(field) + " must be longer than 0s");
    }
    if (value > k_max_duration) {
        return make_error(Errc::invalid_argument, std::string(field) + " is longer than 100 years");
    }
    return {};
}

Error damaged(std::string_view source, const std::string& what) {
    return make_error(Errc::vault_damaged, "vault config " + std::string(source) + " " + what,
                      "the config is damaged; restore it from a copy of the vault (its hash is in "
                      "the audit log's vault-init or policy-change record), never re-create it");
}

std::string checksum_hex(std::string_view body) {
    const crypto::Digest digest = crypto::sha256(as_bytes(body));
    return to_hex(digest);
}

}  // namespace

Status VaultConfig::validate() const {
    TRY(check_age(freshness.max_backup_age, "max-backup-age"));
    TRY(check_age(freshness.critical_backup_age, "critical-backup-age"));
    TRY(check_age(freshness.max_drill_age, "max-drill-age"));
    TRY(check_age(freshness.min_retention, "min-retention"));
    TRY(check_age(retention.keep_within, "keep-within"));
    if (freshness.max_key_age)
        TRY(check_age(*freshness.max_key_age, "max-key-age"));
    if (freshness.critical_backup_age < freshness.max_backup_age) {
        return make_error(Errc::invalid_argument,
                          "critical-backup-age (" + format_duration(freshness.critical_backup_age) +
                              ") is shorter than max-backup-age (" +
                              format_duration(freshness.max_backup_age) + ")");
    }
    if (freshness.min_retained < 1 || freshness.min_retained > 1000000) {
        return make_error(Errc::invalid_argument, "min-retained must be 1..1000000");
    }
    if (retention.keep_last < 1 || retention.keep_last > 1000000) {
        return make_error(Errc::invalid_argument, "keep-last must be 1..1000000");
    }
    if (created < 0 || created > k_max_time) {
        return make_error(Errc::invalid_argument, "created time out of range");
    }
    return escrow.validate();
}

std::string VaultConfig::vault_id_hex() const {
    return to_hex(vault_id);
}

std::string VaultConfig::serialise() const {
    if (!validate())
        throw std::logic_error("VaultConfig::serialise: invalid config");
    std::string out;
    out += std::string(k_config_magic_prefix) + std::to_string(k_config_version) + "\n";
    out += "vault-id: " + vault_id_hex() + "\n";
    out += "created: " + format_time(created) + "\n";
    out += "max-backup-age: " + format_duration(freshness.max_backup_age) + "\n";
    out += "critical-backup-age: " + format_duration(freshness.critical_backup_age) + "\n";
    out += "max-drill-age: " + format_duration(freshness.max_drill_age) + "\n";
    out += "min-retained: " + std::to_string(freshness.min_retained) + "\n";
    out += "min-retention: " + format_duration(freshness.min_retention) + "\n";
    out += "keep-last: " + std::to_string(retention.keep_last) + "\n";
    out += "keep-within: " + format_duration(retention.keep_within) + "\n";
    if (freshness.max_key_age)
        out += "max-key-age: " + format_duration(*freshness.max_key_age) + "\n";
    out += escrow.serialise();
    out += std::string(k_checksum_key) + checksum_hex(out) + "\n";
    return out;
}

Result<VaultConfig> parse_config(std::string_view text, std::string_view source) {
    const std::string what = "vault config " + std::string(source);
    if (text.size() > k_max_config_size) {
        return make_error(Errc::limit_exceeded,
                          what + " is larger than " + std::to_string(k_max_config_size) + " bytes");
    }
    if (text.empty())
        return damaged(source, "is empty (0 bytes), not an empty vault");
    if (text.find_first_not_of('\0') == std::string_view::npos) {
        return damaged(source, "is zero-filled (" + std::to_string(text.size()) +
                                   " NUL bytes), not an empty vault");
    }
    // The version comes first so that a newer file is refused as such, not as damaged.
    const std::size_t first_end = text.find('\n');
    const std::string_view first =
        text.substr(0, first_end == std::string_view::npos ? text.size() : first_end);
    if (first.substr(0, k_config_magic_prefix.size()) != k_config_magic_prefix) {
        return make_error(Errc::parse, what +
                                           " is not an ssoescrow vault config (first line "
                                           "must be 'ssoescrow-vault/1')");
    }
    {
        auto version = parse_integer(first.substr(k_config_magic_prefix.size()), what + " version");
        if (!version)
            return std::move(version).error();
        if (*version != k_config_version) {
            return make_error(Errc::unsupported_version,
                              what + ": unsupported version " + std::to_string(*version),
                              "this build reads vault format version 1; use the ssoescrow "
                              "release that created the vault");
        }
    }
    if (text.back() != '\n')
        return damaged(source, "is truncated (no final newline)");
    const std::size_t last_start = text.rfind('\n', text.size() - 2);
    const std::size_t checksum_line = last_start == std::string_view::npos ? 0 : last_start + 1;
    const std::string_view last = text.substr(checksum_line, text.size() - 1 - checksum_line);
    if (last.substr(0, k_checksum_key.size()) != k_checksum_key) {
        return damaged(source, "is truncated (no checksum line at the end)");
    }
    TRY(check_hex(last.substr(k_checksum_key.size()), 32, what + ": checksum"));
    const std::string_view body = text.substr(0, checksum_line);
    if (last.substr(k_checksum_key.size()) != checksum_hex(body)) {
        return damaged(source, "does not match its checksum (bit rot or a torn write)");
    }

    TRY_ASSIGN(const auto lines, split_lines(body, k_max_config_lines, what));
    if (lines.size() < 11)
        return damaged(source, "is truncated (missing fields)");
    VaultConfig config;
    TRY_ASSIGN(const std::string_view id_text, expect_field(lines[1], "vault-id", what));
    TRY(check_hex(id_text, k_vault_id_size, what + ": vault-id"));
    TRY_ASSIGN(const Bytes id, from_hex(id_text, what + ": vault-id"));
    std::copy(id.begin(), id.end(), config.vault_id.begin());
    TRY_ASSIGN(const std::string_view created, expect_field(lines[2], "created", what));
    TRY_ASSIGN(config.created, parse_time(created, what + ": created"));

    struct DurationField {
        std::size_t line;
        std::string_view key;
        std::int64_t* target;
    };
    const DurationField durations[] = {
        {3, "max-backup-age", &config.freshness.max_backup_age},
        {4, "critical-backup-age", &config.freshness.critical_backup_age},
        {5, "max-drill-age", &config.freshness.max_drill_age},
        {7, "min-retention", &config.freshness.min_retention},
        {9, "keep-within", &config.retention.keep_within},
    };
    for (const DurationField& field : durations) {
        TRY_ASSIGN(const std::string_view value, expect_field(lines[field.line], field.key, what));
        TRY_ASSIGN(*field.target, parse_duration(value, what + ": " + std::string(field.key)));
    }
    TRY_ASSIGN(const std::string_view min_retained, expect_field(lines[6], "min-retained", what));
    TRY_ASSIGN(config.freshness.min_retained, parse_integer(min_retained, what + ": min-retained"));
    TRY_ASSIGN(const std::string_view keep_last, expect_field(lines[8], "keep-last", what));
    TRY_ASSIGN(config.retention.keep_last, parse_integer(keep_last, what + ": keep-last"));

    // The optional max-key-age line, then the policy block, which must end exactly at the
    // checksum line.
    std::size_t policy_line = 10;
    constexpr std::string_view k_key_age_key = "max-key-age: ";
    if (lines[10].substr(0, k_key_age_key.size()) == k_key_age_key) {
        TRY_ASSIGN(const std::string_view value, expect_field(lines[10], "max-key-age", what));
        TRY_ASSIGN(config.freshness.max_key_age, parse_duration(value, what + ": max-key-age"));
        policy_line = 11;
        if (lines.size() <= policy_line)
            return damaged(source, "is truncated (missing fields)");
    }
    const std::size_t policy_start =
        static_cast<std::size_t>(lines[policy_line].data() - body.data());
    const std::string_view policy_text = body.substr(policy_start);
    TRY_ASSIGN(ParsedPolicyPrefix parsed, parse_policy_prefix(policy_text, source));
    if (parsed.consumed != policy_text.size()) {
        return make_error(Errc::parse, what + ": unexpected line after the escrow policy block");
    }
    config.escrow = std::move(parsed.policy);

    if (auto valid = config.validate(); !valid) {
        return with_context(std::move(valid).error(), what);
    }
    // One canonical form: anything that parsed must serialise back to the same bytes.
    if (config.serialise() != text) {
        return make_error(Errc::parse, what + " is not in canonical form");
    }
    return config;
}

}  // namespace ssoescrow::vault
