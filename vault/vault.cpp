#include "vault/vault.hpp"

#include <system_error>

#include "crypto/random.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/test_hooks.hpp"
#include "vault/lock.hpp"

namespace ssoescrow::vault {

namespace fs = std::filesystem;

namespace {

bool exists_no_follow(const fs::path& p) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec));
}

Status check_empty_for_init(const fs::path& dir) {
    std::error_code ec;
    const auto status = fs::symlink_status(dir, ec);
    if (!fs::exists(status))
        return {};
    if (fs::is_symlink(status)) {
        return make_error(Errc::unsafe_permissions,
                          "vault directory " + platform::path_to_utf8(dir) + " is a symbolic link",
                          "give the real directory path");
    }
    if (!fs::is_directory(status)) {
        return make_error(Errc::already_exists,
                          platform::path_to_utf8(dir) + " exists and is not a directory");
    }
    if (exists_no_follow(dir / k_config_file)) {
        return make_error(Errc::already_exists, platform::path_to_utf8(dir) + " is already a vault",
                          "use the existing vault, or choose another directory");
    }
    fs::directory_iterator it(dir, ec);
    if (ec)
        return platform::file_error(ec, "list", dir);
    if (it != fs::directory_iterator()) {
        return make_error(Errc::already_exists,
                          platform::path_to_utf8(dir) + " is not empty (no vault config in it)",
                          "a vault is created in a new or empty directory; if this is the "
                          "remains of an interrupted 'vault init', remove it and run init again");
    }
    return {};
}

}  // namespace

std::string Vault::envelope_relative_path(const BackupId& id) {
    return std::string(k_envelopes_dir) + "/" + envelope_file_name(id);
}

Result<Vault> Vault::open(const fs::path& dir) {
    std::error_code ec;
    const auto status = fs::status(dir, ec);
    if (!fs::exists(status)) {
        return make_error(Errc::not_found,
                          "no vault at " + platform::path_to_utf8(dir) + ": it does not exist",
                          "check --vault, or create one with 'ssoescrow vault init'");
    }
    if (!fs::is_directory(status)) {
        return make_error(Errc::not_found,
                          "no vault at " + platform::path_to_utf8(dir) + ": not a directory");
    }
    const fs::path config_file = dir / k_config_file;
    auto bytes = platform::read_file(config_file, k_max_config_size);
    if (!bytes) {
        if (bytes.error().code != Errc::not_found)
            return std::move(bytes).error();
        if (exists_no_follow(dir / k_audit_dir) || exists_no_follow(dir / k_envelopes_dir)) {
            return make_error(
                Errc::vault_damaged, "vault " + platform::path_to_utf8(dir) + " has no config file",
                "if 'vault init' was interrupted, remove the directory and run it "
                "again; otherwise restore " +
                    platform::path_to_utf8(config_file) + " from a copy of the vault");
        }
        return make_error(Errc::not_found,
                          platform::path_to_utf8(dir) + " is not a vault (no config file)",
                          "check --vault, or create one with 'ssoescrow vault init'");
    }
    const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    TRY_ASSIGN(VaultConfig config, parse_config(text, platform::path_to_utf8(config_file)));
    Vault vault;
    vault.m_dir = dir;
    vault.m_config = std::move(config);
    vault.m_config_hash = audit_hash(text);
    return vault;
}

Result<Vault> Vault::init(const fs::path& dir, const InitOptions& options) {
    Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
    VaultConfig config;
    TRY_ASSIGN(config.escrow, options.escrow.normalised());
    config.freshness = options.freshness;
    config.retention = options.retention;
    config.created = clock.now();
    crypto::random_fill(config.vault_id);
    TRY(config.validate());

    TRY(check_empty_for_init(dir));
    TRY(platform::ensure_private_directory(dir));
    LockOptions lock_options;
    lock_options.operation = "vault-init";
    lock_options.clock = &clock;
    TRY_ASSIGN(WriterLock lock, WriterLock::acquire(dir, lock_options));
    // Another init may have won the race for the same directory while we waited.
    if (exists_no_follow(dir / k_config_file)) {
        return make_error(Errc::already_exists,
                          platform::path_to_utf8(dir) + " is already a vault");
    }
    TRY(platform::ensure_private_directory(dir / k_envelopes_dir));
    TRY(platform::ensure_private_directory(dir / k_audit_dir));

    const std::string text = config.serialise();
    AuditRecord record;
    record.time = config.created;
    record.vault_id = config.vault_id_hex();
    record.actor = options.actor.empty() ? current_actor() : options.actor;
    record.type = AuditType::vault_init;
    record.fields.push_back({"config", audit_hash(text)});
    record.fields.push_back({"policy", config.escrow.fingerprint()});
    record.fields.push_back({"threshold", std::to_string(config.escrow.threshold)});
    for (const crypto::Recipient& r : config.escrow.recipients) {
        record.fields.push_back({"custodian", r.fingerprint()});
    }
    TRY_ASSIGN(const EscrowPolicy sorted, config.escrow.normalised());
    for (const crypto::Signer& signer : sorted.signers) {
        record.fields.push_back({"policy-signer", signer.fingerprint()});
    }
    TRY(lock.check_still_held());
    TRY(start_audit_log(dir, std::move(record)));
    platform::test_hooks::crash_point("init-after-audit");
    TRY(lock.check_still_held());
    TRY(platform::write_file_durably(dir / k_config_file, as_bytes(text), platform::Overwrite::no,
                                     platform::FinalMode::read_only));
    platform::test_hooks::crash_point("init-after-config");
    TRY(lock.release());

    Vault vault;
    vault.m_dir = dir;
    vault.m_config = std::move(config);
    vault.m_config_hash = audit_hash(text);
    return vault;
}

}  // namespace ssoescrow::vault
