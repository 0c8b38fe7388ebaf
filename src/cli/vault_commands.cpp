// `ssoescrow vault ...`: create, list, check and prune vaults. Each subcommand lives in its own
// file (vault_init.cpp, vault_list.cpp, vault_check.cpp, vault_prune.cpp, vault_unlock.cpp,
// vault_custodian.cpp).
#include "src/cli/vault_commands.hpp"
#include "crypto/exchanged_text.hpp"

#include <iostream>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/terminal.hpp"
#include "vault/host_state.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::cli {

Result<std::filesystem::path> resolve_state_dir(const std::string& flag,
                                                std::string_view vault_id) {
    return vault::state_dir_for(platform::path_from_utf8(flag), vault_id);
}

vault::WriterContext writer_context(const std::string& state_dir_flag) {
    return vault::WriterContext{platform::path_from_utf8(state_dir_flag)};
}

void remember_seen_or_warn(const std::string& state_dir_flag, const vault::AuditChain& chain,
                           std::string_view vault_id, vault::UnixTime now) {
    auto dir = resolve_state_dir(state_dir_flag, vault_id);
    if (!dir) {
        print_warning("the audit head was not remembered for rollback detection: " +
                      dir.error().message);
        return;
    }
    if (auto done = vault::remember_seen(*dir, chain, vault_id, now); !done) {
        print_warning("the audit head was not remembered for rollback detection: " +
                      done.error().message);
    }
}

void remember_vault_head_or_warn(const std::string& vault_dir, const std::string& state_dir_flag) {
    auto opened = vault::Vault::open(platform::path_from_utf8(vault_dir));
    if (!opened)
        return;
    if (auto chain = vault::read_audit_chain(opened->dir(), opened->vault_id()); chain) {
        remember_seen_or_warn(state_dir_flag, *chain, opened->vault_id(),
                              vault::system_clock().now());
    }
}

void remember_check_or_warn(const std::string& state_dir_flag, const vault::Vault& vault,
                            const vault::Catalog& catalog, vault::UnixTime now) {
    auto dir = resolve_state_dir(state_dir_flag, vault.vault_id());
    if (!dir) {
        print_warning("the audit head was not remembered for rollback detection: " +
                      dir.error().message);
        return;
    }
    if (auto done = vault::remember_seen(*dir, catalog.chain, vault.vault_id(), now); !done) {
        print_warning("the audit head was not remembered for rollback detection: " +
                      done.error().message);
        return;
    }
    // Only a cache: a failure costs the next writer one full verification, so it is not reported.
    (void)vault::write_head_cache(
        *dir, vault::head_cache_of(vault, catalog.chain, vault::verified_backups_of(catalog)));
}

void remember_history_or_warn(const vault::Vault& vault, vault::WriteAccess& access,
                              vault::UnixTime now) {
    if (auto done = vault::remember_history(vault, access.state_dir, access.history, now); !done) {
        print_warning("the audit head was not remembered for rollback detection: " +
                      done.error().message);
    }
}

void remember_policy_pin_or_warn(const std::string& state_dir_flag, const vault::Vault& vault) {
    const vault::PolicyPin pin{vault.vault_id(), vault.config().escrow.fingerprint(),
                               vault.config().created, vault::PinSource::vault_init};
    auto dir = resolve_state_dir(state_dir_flag, vault.vault_id());
    Status written = dir ? vault::write_policy_pin(*dir, pin) : Status(dir.error());
    if (!written) {
        print_warning("the escrow policy was not pinned on this host: " + written.error().message);
    }
}

void warn_lock_taken_over(const vault::BrokenLock& broken) {
    const vault::LockInfo& info = broken.previous.info;
    print_warning("took over a stale writer lock of " + info.operation + " on " + info.host +
                  " (pid " + std::to_string(info.pid) + "); recorded in the audit log");
}

namespace {
constexpr std::size_t k_max_recipient_file_size = 4096;

}  // namespace

Result<crypto::Recipient> read_recipient_file(const std::string& file) {
    TRY_ASSIGN(const Bytes bytes,
               platform::read_file(platform::path_from_utf8(file),
                                   crypto::exchanged_file_read_limit(k_max_recipient_file_size)));
    // NAME.pub travels by e-mail: read a Notepad or mail copy as the original line.
    const std::string text = crypto::normalise_exchanged_text(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    auto recipient = crypto::parse_recipient(text, file);
    if (!recipient) {
        Error error = std::move(recipient).error();
        if (error.hint.empty()) {
            error.hint = "a recipient file is the NAME.pub written by 'ssoescrow custodian keygen'";
        }
        return error;
    }
    return recipient;
}

Result<crypto::Signer> read_signer_line_file(const std::string& file) {
    TRY_ASSIGN(const Bytes bytes, platform::read_file(platform::path_from_utf8(file),
                                                      crypto::exchanged_file_read_limit(1024)));
    // A signer line travels by e-mail: read a Notepad or mail copy as the original line.
    const std::string text = crypto::normalise_exchanged_text(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    auto signer = crypto::parse_signer(text, file);
    if (!signer && signer.error().code == Errc::parse)
        return make_error(Errc::usage, signer.error().message, signer.error().hint);
    return signer;
}

Status flush_stdout() {
    std::cout.flush();
    if (!std::cout)
        return make_error(Errc::io, "cannot write to standard output");
    return {};
}

void add_vault_commands(CLI::App& app, Command& selected) {
    CLI::App* vault = app.add_subcommand("vault",
                                         "Create, list, check, prune and unlock vaults; record "
                                         "departed custodians; change settings");
    vault->require_subcommand(1);
    add_vault_init_command(*vault, selected);
    add_vault_list_command(*vault, selected);
    add_vault_check_command(*vault, selected);
    add_vault_prune_command(*vault, selected);
    add_vault_unlock_command(*vault, selected);
    add_vault_custodian_commands(*vault, selected);
    add_vault_accept_rollback_command(*vault, selected);
    add_vault_config_command(*vault, selected);
}

}  // namespace ssoescrow::cli
