// The vault: a directory that is self-describing and self-verifying. Full description, write
// order and invariants: vault/FORMAT.md section 4.
//
//   VAULT/                        0700
//     config                      the vault config (config.hpp), 0400, written once by init
//     envelopes/                  0700
//       <backup id>.envelope      write-once sealed envelopes (envelope.hpp), 0400
//     audit/                      0700
//       <seq>-<sha256>.rec        write-once audit records (audit_log.hpp), 0400
//     locks/                      0700, created by the first writer (lock.hpp)
//       writer.lock, writer.guard
//     .tmp-*, */.tmp-*            temp files of a write in progress or interrupted: never read
//
// Vault::open is read-only: it takes no lock and writes nothing, so list, check, status and
// restore work on a full disk and on a read-only copy. Writers take the writer lock (lock.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "vault/audit_log.hpp"
#include "vault/clock.hpp"
#include "vault/config.hpp"
#include "vault/envelope.hpp"

namespace ssoescrow::vault {

inline constexpr std::string_view k_config_file = "config";
inline constexpr std::string_view k_envelopes_dir = "envelopes";
inline constexpr std::size_t k_max_envelopes = 100000;
// A whole envelope file: header plus payload ceilings.
inline constexpr std::size_t k_max_envelope_file_size = k_max_header_size + k_max_payload_size;

class Vault {
  public:
    // Opens an existing vault read-only: reads and parses the config. Errors:
    //   Errc::not_found      DIR does not exist, or is not a vault (no config, nothing else)
    //   Errc::vault_damaged  config missing while envelopes/audit exist, empty, zero-filled,
    //                        truncated or failing its checksum
    //   Errc::unsupported_version, parse, limit_exceeded, io (from reading the config)
    static Result<Vault> open(const std::filesystem::path& dir);

    struct InitOptions {
        EscrowPolicy escrow;
        FreshnessPolicy freshness;
        RetentionPolicy retention;
        Clock* clock = nullptr;  // nullptr: system_clock()
        std::string actor;       // empty: current_actor()
    };
    // Creates a new vault at `dir` (which must not exist, or be an empty directory; its parent
    // must exist). Order: directories, writer lock, audit record 1 (vault-init, with the config's
    // hash), the config last. A crash before the config is written leaves a directory that is
    // not a vault (open() says so and how to start again); never a half-initialised vault that
    // looks valid. Errc::already_exists for an existing vault or a non-empty directory.
    static Result<Vault> init(const std::filesystem::path& dir, const InitOptions& options);

    const std::filesystem::path& dir() const noexcept { return m_dir; }
    const VaultConfig& config() const noexcept { return m_config; }
    // SHA-256 of the config file, lower hex (recorded in vault-init / policy-change records).
    const std::string& config_hash() const noexcept { return m_config_hash; }
    std::string vault_id() const { return m_config.vault_id_hex(); }

    std::filesystem::path config_path() const { return m_dir / k_config_file; }
    std::filesystem::path envelopes_dir() const { return m_dir / k_envelopes_dir; }
    std::filesystem::path audit_dir() const { return m_dir / k_audit_dir; }
    // "envelopes/<id>.envelope", relative to the vault.
    static std::string envelope_relative_path(const BackupId& id);

  private:
    Vault() = default;
    std::filesystem::path m_dir;
    VaultConfig m_config;
    std::string m_config_hash;
};

}  // namespace ssoescrow::vault
