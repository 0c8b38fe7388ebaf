// `vault config set`: changes the vault's non-security settings (freshness thresholds,
// retention, key-age limit) after `vault init`, audit-logged. The escrow policy (custodians,
// threshold, signers), the vault id and the creation time are not settings: they never change
// this way. Byte-level spec: vault/FORMAT.md 4.2 (the config), 4.3 (the config-change record),
// 4.6 (write order and how an interrupted change is finished).
//
// Write order, under the writer lock after the writer's history checks: the config-change record
// (old-config, new-config, policy, one `setting: KEY VALUE` per changed setting) is appended
// first, then the config is replaced durably (rename over the old file). A crash between the two
// leaves the old config with a record that announces the new one (`vault check`:
// config-change-incomplete, a warning; other writers refuse). Because the record holds every
// changed value, the next `vault config set` rebuilds the announced config from the old one,
// checks that its SHA-256 is the recorded one, and writes it: the change is finished, never lost
// and never half applied.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"
#include "vault/audit_log.hpp"
#include "vault/config.hpp"
#include "vault/lock.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::vault {

// One setting and its value in canonical form ("max-backup-age", "2d"; "keep-last", "35").
struct ConfigSetting {
    std::string key;
    std::string value;

    friend bool operator==(const ConfigSetting&, const ConfigSetting&) = default;
};

// The keys `vault config set` accepts, in config order.
std::span<const std::string_view> settable_config_keys() noexcept;

// Parses a command-line "KEY=VALUE". Durations take any unit that divides ("48h" is "2d");
// integers are decimal. Errc::usage naming the argument: an unknown key (with the list), a
// security setting (vault-id, created, the escrow policy: the hint names `rekey`), a bad value.
Result<ConfigSetting> parse_config_assignment(std::string_view argument);

// The text of a config-change record's `setting` field ("KEY VALUE") and back (Errc::parse).
std::string setting_field_value(const ConfigSetting& setting);
Result<ConfigSetting> parse_setting_field(std::string_view value);

// The current value of a settable key in canonical form.
std::string config_setting_value(const VaultConfig& config, std::string_view key);

// The retention settings keep every backup at least as long as the freshness windows look at
// it: min-retention and keep-within are at least critical-backup-age (else status could judge a
// backup that prune may already have removed). Errc::invalid_argument naming both settings.
[[nodiscard]] Status check_retention_covers_freshness(const VaultConfig& config);

// `config` with `settings` applied (later settings of the same key win), checked with
// VaultConfig::validate() and check_retention_covers_freshness (Errc::invalid_argument naming
// the setting). The escrow policy, vault id and creation time are never touched.
Result<VaultConfig> apply_config_settings(const VaultConfig& config,
                                          std::span<const ConfigSetting> settings);

struct ConfigChangeOutcome {
    std::uint64_t finished_seq = 0;  // an interrupted change announced by this record was finished
    std::vector<ConfigSetting> before;   // the changed settings' old values
    std::vector<ConfigSetting> changed;  // their new values; empty: nothing was written
    std::uint64_t record_seq = 0;        // the config-change record written (0: none)
    std::string old_config;              // SHA-256 of the config before (hex)
    std::string new_config;              // SHA-256 of the config after (hex)
};

struct ConfigChangeOptions {
    std::vector<ConfigSetting> settings;  // may be empty: only finish an interrupted change
    std::string reason;                   // empty: no reason field
    LockOptions lock;                     // operation "config-set"
    WriterContext writer;
};

// Takes the writer lock; reads the chain (refused when damaged or rolled back against this
// host's witness); finishes an interrupted config change (the newest record is a config-change
// whose old-config is the config on disk: its settings applied to that config must give exactly
// its new-config, else Errc::vault_damaged); re-reads the config and verifies the history as
// every writer does; then, if the settings change anything, writes the config-change record and
// the new config (in that order). Settings equal to the current values are left out of the
// record; when none remains nothing is written.
Result<ConfigChangeOutcome> change_config(const std::filesystem::path& vault_dir,
                                          const ConfigChangeOptions& options);

}  // namespace ssoescrow::vault
