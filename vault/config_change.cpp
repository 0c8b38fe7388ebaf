#include "vault/config_change.hpp"

#include <array>
#include <optional>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/test_hooks.hpp"
#include "vault/host_state.hpp"
#include "vault/rekey_pending.hpp"
#include "vault/text_format.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::vault {

namespace {

constexpr std::array<std::string_view, 8> k_settable_keys{
    "max-backup-age", "critical-backup-age", "max-drill-age", "min-retained",
    "min-retention",  "keep-last",           "keep-within",   "max-key-age"};

bool is_count_key(std::string_view key) noexcept {
    return key == "min-retained" || key == "keep-last";
}

bool is_settable(std::string_view key) noexcept {
    for (std::string_view k : k_settable_keys) {
        if (k == key)
            return true;
    }
    return false;
}

std::string settable_list() {
    std::string out;
    for (std::string_view k : k_settable_keys)
        out += (out.empty() ? "" : ", ") + std::string(k);
    return out;
}

// The value in canonical form: durations accept any unit that divides (as the init flags do).
Result<std::string> canonical_value(std::string_view key, std::string_view value,
                                    std::string_view what) {
    if (is_count_key(key)) {
        TRY_ASSIGN(const std::uint64_t count, parse_integer(value, what));
        return std::to_string(count);
    }
    TRY_ASSIGN(const std::int64_t seconds, parse_duration_flag(value, what));
    return format_duration(seconds);
}

Status set_value(VaultConfig& config, const ConfigSetting& setting) {
    const std::string& key = setting.key;
    if (is_count_key(key)) {
        TRY_ASSIGN(const std::uint64_t count, parse_integer(setting.value, key));
        (key == "min-retained" ? config.freshness.min_retained : config.retention.keep_last) =
            count;
        return {};
    }
    TRY_ASSIGN(const std::int64_t seconds, parse_duration(setting.value, key));
    if (key == "max-backup-age")
        config.freshness.max_backup_age = seconds;
    else if (key == "critical-backup-age")
        config.freshness.critical_backup_age = seconds;
    else if (key == "max-drill-age")
        config.freshness.max_drill_age = seconds;
    else if (key == "min-retention")
        config.freshness.min_retention = seconds;
    else if (key == "keep-within")
        config.retention.keep_within = seconds;
    else if (key == "max-key-age")
        config.freshness.max_key_age = seconds;
    else
        return make_error(Errc::invalid_argument, "'" + key + "' is not a setting of the config");
    return {};
}

std::string dir_text(const std::filesystem::path& dir) {
    return platform::path_to_utf8(dir);
}

// The newest record that says which config the vault holds, if it is a config-change whose
// old config is the one on disk: a change interrupted between its record and the config write.
const ChainRecord* interrupted_config_change(const Vault& vault, const AuditChain& chain) {
    const ChainRecord* latest = recorded_policy(chain).record;
    if (latest == nullptr || latest->record.type != AuditType::config_change)
        return nullptr;
    if (latest->record.field("new-config") == vault.config_hash())
        return nullptr;
    if (latest->record.field("old-config") != vault.config_hash())
        return nullptr;  // not ours to finish: the writers' check reports a replaced config
    return latest;
}

Status write_config(const Vault& vault, const std::string& bytes) {
    return platform::write_file_durably(vault.config_path(), as_bytes(bytes),
                                        platform::Overwrite::yes, platform::FinalMode::read_only);
}

// Rebuilds the config the interrupted record announces and writes it. Returns the record's seq.
Result<std::uint64_t> finish_config_change(const Vault& vault, const ChainRecord& interrupted) {
    const AuditRecord& record = interrupted.record;
    const std::string what = "audit record " + std::to_string(record.seq) + " (config-change)";
    std::vector<ConfigSetting> settings;
    for (const std::string& field : record.fields_named("setting")) {
        auto setting = parse_setting_field(field);
        if (!setting) {
            return make_error(Errc::vault_damaged,
                              what + " cannot be finished: " + setting.error().message,
                              "run 'ssoescrow vault check --vault " + dir_text(vault.dir()) + "'");
        }
        settings.push_back(std::move(setting).value());
    }
    auto rebuilt = apply_config_settings(vault.config(), settings);
    std::string bytes = rebuilt ? rebuilt->serialise() : std::string();
    if (!rebuilt || audit_hash(bytes) != record.field("new-config")) {
        return make_error(Errc::vault_damaged,
                          what + " announces config " + std::string(record.field("new-config")) +
                              ", which its settings do not give when applied to the config of " +
                              dir_text(vault.dir()) + "; refusing to write to the vault",
                          "treat the vault as tampered with; run 'ssoescrow vault check --vault " +
                              dir_text(vault.dir()) + "'");
    }
    TRY(write_config(vault, bytes));
    return record.seq;
}

}  // namespace

std::span<const std::string_view> settable_config_keys() noexcept {
    return k_settable_keys;
}

Result<ConfigSetting> parse_config_assignment(std::string_view argument) {
    const std::string given(argument);
    const std::size_t eq = argument.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        return make_error(Errc::usage, "'" + given + "' is not KEY=VALUE",
                          "e.g. max-backup-age=2d; the settings: " + settable_list());
    }
    const std::string key(argument.substr(0, eq));
    const std::string_view value = argument.substr(eq + 1);
    if (!is_settable(key)) {
        if (key == "vault-id" || key == "created" || key == "threshold" || key == "recipient" ||
            key == "signer" || key == "policy" || key == "custodian") {
            return make_error(Errc::usage,
                              "'" + key + "' is not a setting 'vault config set' changes: the " +
                                  "vault id, its creation time and the escrow policy never " +
                                  "change this way",
                              "custodians, threshold and signers change with the rekey "
                              "ceremony (see README, \"Custodian turnover\")");
        }
        return make_error(Errc::usage, "'" + key + "' is not a setting of the vault config",
                          "the settings: " + settable_list());
    }
    auto canonical = canonical_value(key, value, key);
    if (!canonical) {
        Error error = std::move(canonical).error();
        error.code = Errc::usage;  // a bad command-line value, as for the `vault init` flags
        return error;
    }
    return ConfigSetting{key, std::move(canonical).value()};
}

std::string setting_field_value(const ConfigSetting& setting) {
    return setting.key + " " + setting.value;
}

Result<ConfigSetting> parse_setting_field(std::string_view value) {
    const std::size_t space = value.find(' ');
    const std::string key(value.substr(0, space));
    if (space == std::string_view::npos || !is_settable(key)) {
        return make_error(Errc::parse, "setting '" + std::string(value) +
                                           "': expected a setting name, a space and its value");
    }
    const std::string_view given = value.substr(space + 1);
    auto canonical = canonical_value(key, given, "setting " + key);
    if (!canonical || *canonical != given) {
        return make_error(Errc::parse,
                          "setting '" + std::string(value) + "': the value is not canonical");
    }
    return ConfigSetting{key, std::string(given)};
}

std::string config_setting_value(const VaultConfig& config, std::string_view key) {
    const FreshnessPolicy& f = config.freshness;
    if (key == "max-backup-age")
        return format_duration(f.max_backup_age);
    if (key == "critical-backup-age")
        return format_duration(f.critical_backup_age);
    if (key == "max-drill-age")
        return format_duration(f.max_drill_age);
    if (key == "min-retained")
        return std::to_string(f.min_retained);
    if (key == "min-retention")
        return format_duration(f.min_retention);
    if (key == "keep-last")
        return std::to_string(config.retention.keep_last);
    if (key == "keep-within")
        return format_duration(config.retention.keep_within);
    if (key == "max-key-age")
        return format_duration(f.effective_max_key_age());
    return {};
}

Status check_retention_covers_freshness(const VaultConfig& config) {
    const std::int64_t window = config.freshness.critical_backup_age;
    auto check = [window](std::int64_t value, std::string_view name) -> Status {
        if (value >= window)
            return {};
        return make_error(Errc::invalid_argument,
                          std::string(name) + " (" + format_duration(value) +
                              ") is shorter than critical-backup-age (" + format_duration(window) +
                              "): prune could remove backups that status still judges",
                          "keep " + std::string(name) + " at least as long as critical-backup-age");
    };
    TRY(check(config.freshness.min_retention, "min-retention"));
    TRY(check(config.retention.keep_within, "keep-within"));
    return {};
}

Result<VaultConfig> apply_config_settings(const VaultConfig& config,
                                          std::span<const ConfigSetting> settings) {
    VaultConfig out = config;
    for (const ConfigSetting& setting : settings)
        TRY(set_value(out, setting));
    TRY(out.validate());
    TRY(check_retention_covers_freshness(out));
    return out;
}

Result<ConfigChangeOutcome> change_config(const std::filesystem::path& vault_dir,
                                          const ConfigChangeOptions& options) {
    ConfigChangeOutcome outcome;
    TRY_ASSIGN(const Vault before_lock, Vault::open(vault_dir));
    TRY_ASSIGN(const std::filesystem::path state_dir,
               state_dir_for(options.writer.state_root, before_lock.vault_id()));
    TRY_ASSIGN(WriterLock lock, WriterLock::acquire(vault_dir, options.lock));
    TRY(settle_pending_rekey(vault_dir, before_lock.vault_id()));

    // Under the lock: the config may have changed since it was first read.
    TRY_ASSIGN(const Vault on_disk, Vault::open(vault_dir));
    {
        TRY_ASSIGN(const AuditChain chain, read_audit_chain(on_disk.dir(), on_disk.vault_id()));
        if (const ChainRecord* interrupted = interrupted_config_change(on_disk, chain)) {
            if (!chain.intact()) {
                return make_error(
                    Errc::vault_damaged,
                    "the audit log of " + dir_text(vault_dir) +
                        " is damaged; the interrupted config change is not "
                        "finished",
                    "run 'ssoescrow vault check --vault " + dir_text(vault_dir) + "'");
            }
            TRY(check_not_rolled_back(on_disk, chain, state_dir));
            TRY_ASSIGN(outcome.finished_seq, finish_config_change(on_disk, *interrupted));
        }
    }
    TRY_ASSIGN(const Vault opened, Vault::open(vault_dir));
    TRY_ASSIGN(VerifiedHistory history, verify_history_for_writing(opened, state_dir));
    AuditChain chain = std::move(history.chain);
    if (lock.taken_over()) {
        Clock& clock = options.lock.clock != nullptr ? *options.lock.clock : system_clock();
        TRY(audit_lock_takeover(opened, *lock.taken_over(), options.lock.operation, clock.now()));
        TRY_ASSIGN(chain, read_audit_chain(opened.dir(), opened.vault_id()));
    }

    TRY_ASSIGN(const VaultConfig next, apply_config_settings(opened.config(), options.settings));
    outcome.old_config = opened.config_hash();
    outcome.new_config = opened.config_hash();
    for (std::string_view key : k_settable_keys) {
        const std::string old_value = config_setting_value(opened.config(), key);
        const std::string new_value = config_setting_value(next, key);
        // An absent max-key-age line reads as its default; setting that value writes the line.
        const bool line_added = key == "max-key-age" && !opened.config().freshness.max_key_age &&
                                next.freshness.max_key_age.has_value();
        if (old_value == new_value && !line_added)
            continue;
        outcome.before.push_back({std::string(key), old_value});
        outcome.changed.push_back({std::string(key), new_value});
    }
    if (outcome.changed.empty()) {
        TRY(lock.release());
        return outcome;
    }

    const std::string bytes = next.serialise();
    outcome.new_config = audit_hash(bytes);
    Clock& clock = options.lock.clock != nullptr ? *options.lock.clock : system_clock();
    AuditRecord record;
    record.type = AuditType::config_change;
    record.time = clock.now();
    record.actor = current_actor();
    record.fields.push_back({"old-config", outcome.old_config});
    record.fields.push_back({"new-config", outcome.new_config});
    record.fields.push_back({"policy", opened.config().escrow.fingerprint()});
    for (const ConfigSetting& setting : outcome.changed)
        record.fields.push_back({"setting", setting_field_value(setting)});
    if (!options.reason.empty())
        record.fields.push_back({"reason", options.reason});
    TRY(lock.check_still_held());
    TRY_ASSIGN(const ChainRecord written,
               append_audit_record(opened.dir(), chain, std::move(record)));
    outcome.record_seq = written.record.seq;
    // The record is the commit: from here the change is finished, by this run or the next.
    platform::test_hooks::crash_point("config-set-after-record");
    TRY(write_config(opened, bytes));
    TRY(lock.release());
    return outcome;
}

}  // namespace ssoescrow::vault
