// The `vault` subcommand group: vault_commands.cpp creates the group and calls one add_* function
// per subcommand (each in its own file), plus helpers they share.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>

#include "crypto/custodian_key.hpp"
#include "crypto/result.hpp"
#include "crypto/sign.hpp"
#include "src/cli/command.hpp"
#include "vault/audit_log.hpp"
#include "vault/lock.hpp"
#include "vault/vault.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::cli {

void add_vault_init_command(CLI::App& vault, Command& selected);
void add_vault_list_command(CLI::App& vault, Command& selected);
void add_vault_check_command(CLI::App& vault, Command& selected);
void add_vault_prune_command(CLI::App& vault, Command& selected);
void add_vault_unlock_command(CLI::App& vault, Command& selected);
void add_vault_custodian_commands(CLI::App& vault, Command& selected);
void add_vault_accept_rollback_command(CLI::App& vault, Command& selected);
void add_vault_config_command(CLI::App& vault, Command& selected);

// The directory that keeps the latest-seen audit head of a vault, outside the vault:
// `--state-dir` when given, else vault::default_state_dir(vault_id).
Result<std::filesystem::path> resolve_state_dir(const std::string& flag, std::string_view vault_id);

// What a writer needs to find this host's state for the vault (vault/writer.hpp): --state-dir.
vault::WriterContext writer_context(const std::string& state_dir_flag);

// Records the chain head as seen; a failure is only a warning on stderr (the operation itself
// succeeded, and a full disk must not turn a read into an error).
void remember_seen_or_warn(const std::string& state_dir_flag, const vault::AuditChain& chain,
                           std::string_view vault_id, vault::UnixTime now);

// Re-reads the audit chain of the vault at `vault_dir` after a write and remembers its head as
// seen (remember_seen_or_warn). Nothing happens when the vault cannot be read again: the write
// itself succeeded and its error paths reported what matters.
void remember_vault_head_or_warn(const std::string& vault_dir, const std::string& state_dir_flag);
// After a `vault check` without damage: the latest-seen state (remember_seen_or_warn), and the
// head cache of what it verified, so the next writer on this host starts from there.
void remember_check_or_warn(const std::string& state_dir_flag, const vault::Vault& vault,
                            const vault::Catalog& catalog, vault::UnixTime now);
// A writer's remember_history (latest-seen state and head cache) after its last write; a
// failure is a warning: the write itself is done.
void remember_history_or_warn(const vault::Vault& vault, vault::WriteAccess& access,
                              vault::UnixTime now);

// Pins the vault's escrow policy on this host (policy-pin, source vault-init); a failure is
// only a warning (the first job then learns it).
void remember_policy_pin_or_warn(const std::string& state_dir_flag, const vault::Vault& vault);

// The warning printed when a writer took over a stale lock (already audit-logged).
void warn_lock_taken_over(const vault::BrokenLock& broken);

// Reads a NAME.pub written by `custodian keygen` (Errc::parse naming the file, with a hint).
Result<crypto::Recipient> read_recipient_file(const std::string& file);

// Reads a signer line file (FILE.pub written by `signer keygen`, or `signer show` output); a
// line that does not parse is a usage error naming the file.
Result<crypto::Signer> read_signer_line_file(const std::string& file);

// Flushes stdout; Errc::io when the output could not be written (closed pipe, full disk).
Status flush_stdout();

}  // namespace ssoescrow::cli
