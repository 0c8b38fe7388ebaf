#include "vault/rekey_pending.hpp"

#include <system_error>

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "vault/clock.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::vault {

namespace fs = std::filesystem;

namespace {

std::string sha256_hex(std::string_view text) {
    return to_hex(crypto::sha256(as_bytes(text)));
}

std::string body_of(const RekeyManifest& m) {
    std::string out(k_rekey_manifest_magic);
    out += "\nrequest: " + m.request + "\nvault: " + m.vault_id + "\nold-config: " + m.old_config +
           "\nnew-config: " + m.new_config + "\nold-policy: " + m.old_policy +
           "\nnew-policy: " + m.new_policy + "\nbackups: " + std::to_string(m.backups.size()) +
           "\n";
    for (const RekeyManifestLine& line : m.backups) {
        out += "backup: " + line.old_backup + " " + line.old_envelope + " " + line.new_backup +
               " " + line.new_envelope + "\n";
    }
    return out;
}

Status check_policy_value(std::string_view value, const std::string& what) {
    if (value.substr(0, 7) != "sha256:")
        return make_error(Errc::parse, what + ": expected sha256:<64 hex>");
    return check_hex(value.substr(7), 32, what);
}

std::string dir_text(const fs::path& vault_dir) {
    return platform::path_to_utf8(vault_dir);
}

bool rekey_dir_exists(const fs::path& vault_dir) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(vault_dir / k_rekey_dir, ec));
}

// The fields of a small line file, in order, after its magic; the checksum line last.
Result<std::vector<std::string_view>> checked_lines(std::string_view text, std::string_view magic,
                                                    const std::string& where) {
    auto bad = [&](const std::string& what) {
        return make_error(Errc::parse, where + ": " + what);
    };
    if (text.size() > k_max_rekey_manifest_size)
        return bad("larger than " + std::to_string(k_max_rekey_manifest_size) + " bytes");
    const std::size_t checksum_at = text.rfind("checksum: ");
    if (checksum_at == std::string_view::npos ||
        (checksum_at != 0 && text[checksum_at - 1] != '\n'))
        return bad("no checksum line");
    const std::string_view body = text.substr(0, checksum_at);
    if (text.substr(checksum_at) != "checksum: " + sha256_hex(body) + "\n")
        return bad("the checksum does not match: the file is damaged");
    std::vector<std::string_view> lines;
    for (std::size_t pos = 0; pos < body.size();) {
        const std::size_t end = body.find('\n', pos);
        lines.push_back(body.substr(pos, end - pos));
        pos = end + 1;
    }
    if (lines.empty() || lines[0] != magic)
        return bad("not a " + std::string(magic) + " file");
    return lines;
}

}  // namespace

std::string serialise_rekey_awaiting(const RekeyAwaitingProof& awaiting) {
    const std::string body = std::string(k_rekey_awaiting_magic) +
                             "\nrequest: " + awaiting.request + "\nvault: " + awaiting.vault_id +
                             "\nexpires: " + format_time(awaiting.expires) + "\n";
    return body + "checksum: " + sha256_hex(body) + "\n";
}

Result<RekeyAwaitingProof> parse_rekey_awaiting(std::string_view text, std::string_view source) {
    const std::string where(source);
    TRY_ASSIGN(const std::vector<std::string_view> lines,
               checked_lines(text, k_rekey_awaiting_magic, where));
    auto value = [&](std::size_t i, std::string_view key) -> Result<std::string> {
        const std::string prefix = std::string(key) + ": ";
        if (i >= lines.size() || lines[i].substr(0, prefix.size()) != prefix)
            return make_error(Errc::parse, where + ": expected a '" + std::string(key) + ":' line");
        return std::string(lines[i].substr(prefix.size()));
    };
    if (lines.size() != 4)
        return make_error(Errc::parse, where + ": expected request, vault and expires lines");
    RekeyAwaitingProof awaiting;
    TRY_ASSIGN(awaiting.request, value(1, "request"));
    TRY(check_hex(awaiting.request, 16, where + ": request"));
    TRY_ASSIGN(awaiting.vault_id, value(2, "vault"));
    TRY(check_hex(awaiting.vault_id, 16, where + ": vault"));
    TRY_ASSIGN(const std::string expires, value(3, "expires"));
    TRY_ASSIGN(awaiting.expires, parse_time(expires, where + ": expires"));
    if (serialise_rekey_awaiting(awaiting) != text)
        return make_error(Errc::parse, where + ": not in canonical form");
    return awaiting;
}

std::string serialise_rekey_manifest(const RekeyManifest& manifest) {
    const std::string body = body_of(manifest);
    return body + "checksum: " + sha256_hex(body) + "\n";
}

Result<RekeyManifest> parse_rekey_manifest(std::string_view text, std::string_view source) {
    const std::string where(source);
    auto bad = [&](const std::string& what) {
        return make_error(Errc::parse, where + ": " + what);
    };
    TRY_ASSIGN(const std::vector<std::string_view> lines,
               checked_lines(text, k_rekey_manifest_magic, where));
    std::size_t next = 1;
    auto field = [&](std::string_view key) -> Result<std::string> {
        const std::string prefix = std::string(key) + ": ";
        if (next >= lines.size() || lines[next].substr(0, prefix.size()) != prefix)
            return bad("expected a '" + std::string(key) + ":' line");
        return std::string(lines[next++].substr(prefix.size()));
    };
    RekeyManifest m;
    TRY_ASSIGN(m.request, field("request"));
    TRY(check_hex(m.request, 16, where + ": request"));
    TRY_ASSIGN(m.vault_id, field("vault"));
    TRY(check_hex(m.vault_id, 16, where + ": vault"));
    TRY_ASSIGN(m.old_config, field("old-config"));
    TRY(check_hex(m.old_config, 32, where + ": old-config"));
    TRY_ASSIGN(m.new_config, field("new-config"));
    TRY(check_hex(m.new_config, 32, where + ": new-config"));
    TRY_ASSIGN(m.old_policy, field("old-policy"));
    TRY(check_policy_value(m.old_policy, where + ": old-policy"));
    TRY_ASSIGN(m.new_policy, field("new-policy"));
    TRY(check_policy_value(m.new_policy, where + ": new-policy"));
    TRY_ASSIGN(const std::string count_text, field("backups"));
    TRY_ASSIGN(const std::uint64_t count, parse_integer(count_text, where + ": backups"));
    if (count != lines.size() - next)
        return bad("backups: " + count_text + " does not match the backup lines");
    for (std::uint64_t i = 0; i < count; ++i) {
        TRY_ASSIGN(const std::string value, field("backup"));
        if (value.size() != 32 + 1 + 64 + 1 + 32 + 1 + 64)
            return bad("backup: expected '<old id> <old SHA-256> <new id> <new SHA-256>'");
        RekeyManifestLine line{value.substr(0, 32), value.substr(33, 64), value.substr(98, 32),
                               value.substr(131, 64)};
        TRY(check_hex(line.old_backup, 16, where + ": backup"));
        TRY(check_hex(line.old_envelope, 32, where + ": backup"));
        TRY(check_hex(line.new_backup, 16, where + ": backup"));
        TRY(check_hex(line.new_envelope, 32, where + ": backup"));
        m.backups.push_back(std::move(line));
    }
    if (serialise_rekey_manifest(m) != text)
        return bad("not in canonical form");
    return m;
}

const ChainRecord* find_rekey_commit(const AuditChain& chain, const RekeyManifest& manifest) {
    for (const ChainRecord& r : chain.records) {
        if (r.record.type == AuditType::policy_change &&
            r.record.field("rekey") == manifest.request &&
            r.record.field("new-config") == manifest.new_config) {
            return &r;
        }
    }
    return nullptr;
}

Result<PendingRekey> read_pending_rekey(const fs::path& vault_dir, const AuditChain& chain) {
    PendingRekey pending;
    if (!rekey_dir_exists(vault_dir))
        return pending;
    pending.state = PendingRekeyState::uncommitted;
    const fs::path manifest_path = vault_dir / k_rekey_dir / k_rekey_manifest_file;
    if (!platform::exists_no_follow(manifest_path))
        return pending;
    TRY_ASSIGN(const Bytes bytes, platform::read_file(manifest_path, k_max_rekey_manifest_size));
    const std::string rel = std::string(k_rekey_dir) + "/" + std::string(k_rekey_manifest_file);
    auto manifest = parse_rekey_manifest(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), rel);
    if (!manifest) {
        return make_error(Errc::vault_damaged,
                          "the rekey manifest of " + dir_text(vault_dir) +
                              " is damaged: " + manifest.error().message,
                          "run 'ssoescrow vault check --vault " + dir_text(vault_dir) +
                              "'; a copy of the vault tells whether its rekey was committed");
    }
    pending.manifest = std::move(manifest).value();
    pending.commit = find_rekey_commit(chain, *pending.manifest);
    if (pending.commit != nullptr) {
        pending.state = PendingRekeyState::committed;
        return pending;
    }
    const fs::path awaiting_path = vault_dir / k_rekey_dir / k_rekey_awaiting_file;
    if (!platform::exists_no_follow(awaiting_path))
        return pending;
    TRY_ASSIGN(const Bytes awaiting_bytes,
               platform::read_file(awaiting_path, k_max_rekey_manifest_size));
    const std::string awaiting_rel =
        std::string(k_rekey_dir) + "/" + std::string(k_rekey_awaiting_file);
    auto awaiting =
        parse_rekey_awaiting(std::string_view(reinterpret_cast<const char*>(awaiting_bytes.data()),
                                              awaiting_bytes.size()),
                             awaiting_rel);
    if (awaiting && (awaiting->request != pending.manifest->request ||
                     awaiting->vault_id != pending.manifest->vault_id)) {
        awaiting =
            make_error(Errc::parse, awaiting_rel + " names request " + awaiting->request +
                                        ", but the manifest request " + pending.manifest->request);
    }
    if (!awaiting) {
        return make_error(Errc::vault_damaged,
                          "the rekey ceremony awaiting proof in " + dir_text(vault_dir) +
                              " is damaged: " + awaiting.error().message,
                          "run 'ssoescrow vault check --vault " + dir_text(vault_dir) +
                              "'; 'ssoescrow rekey abandon --vault " + dir_text(vault_dir) +
                              "' removes the ceremony (every backup is still sealed to the old "
                              "policy)");
    }
    pending.awaiting = std::move(awaiting).value();
    pending.state = PendingRekeyState::awaiting_proof;
    return pending;
}

Status remove_pending_rekey(const fs::path& vault_dir) {
    const fs::path dir = vault_dir / k_rekey_dir;
    if (!rekey_dir_exists(vault_dir))
        return {};
    const fs::path manifest = dir / k_rekey_manifest_file;
    if (platform::exists_no_follow(manifest))
        TRY(platform::remove_file_durably(manifest));
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; it != end; it.increment(ec)) {
        if (ec)
            break;
        files.push_back(it->path());
    }
    if (ec)
        return platform::file_error(ec, "list", dir);
    for (const fs::path& file : files)
        TRY(platform::remove_file_durably(file));
    TRY(platform::remove_empty_directory(dir));
    return platform::fsync_directory(vault_dir);
}

Status settle_pending_rekey(const fs::path& vault_dir, std::string_view vault_id) {
    if (!rekey_dir_exists(vault_dir))
        return {};
    TRY_ASSIGN(const AuditChain chain, read_audit_chain(vault_dir, vault_id));
    TRY_ASSIGN(const PendingRekey pending, read_pending_rekey(vault_dir, chain));
    if (pending.state == PendingRekeyState::uncommitted || pending.expired(system_clock().now()))
        return remove_pending_rekey(vault_dir);
    if (pending.state == PendingRekeyState::awaiting_proof)
        return {};  // kept: backups go on sealing to the old policy meanwhile
    return make_error(Errc::vault_damaged,
                      "a rekey of vault " + dir_text(vault_dir) + " (request " +
                          pending.manifest->request + ") was committed in audit record " +
                          std::to_string(pending.commit->record.seq) +
                          " and is not finished; refusing to write to the vault",
                      "finish it with 'ssoescrow rekey finish --vault " + dir_text(vault_dir) +
                          "' (with a signing key of the new policy), then run this again");
}

void check_pending_rekey(const fs::path& vault_dir, const AuditChain& chain, Findings& out) {
    const std::string rel(k_rekey_dir);
    auto pending = read_pending_rekey(vault_dir, chain);
    if (!pending) {
        const bool awaiting_damaged =
            pending.error().message.find("awaiting proof") != std::string::npos;
        out.push_back(
            {Severity::damaged, "rekey-manifest-damaged",
             rel + "/" +
                 std::string(awaiting_damaged ? k_rekey_awaiting_file : k_rekey_manifest_file),
             pending.error().message});
        return;
    }
    switch (pending->state) {
        case PendingRekeyState::none:
            return;
        case PendingRekeyState::uncommitted:
            out.push_back({Severity::warning, "rekey-pending", rel,
                           "an uncommitted rekey ceremony (interrupted before its policy-change "
                           "record): rolled back by the next writer; every backup is still "
                           "sealed to the old policy"});
            return;
        case PendingRekeyState::awaiting_proof: {
            const RekeyAwaitingProof& awaiting = *pending->awaiting;
            const std::string commit =
                "'ssoescrow rekey apply <request> --vault " + dir_text(vault_dir) + " --proof ...'";
            out.push_back(
                {Severity::warning, "rekey-awaiting-proof", rel,
                 "the rekey of request " + awaiting.request +
                     " awaits proof from the new custodians ('ssoescrow rekey prove') until " +
                     format_time(awaiting.expires) + "; commit it with " + commit +
                     ", or 'ssoescrow rekey abandon'; after that time the next writer rolls it "
                     "back. Every backup is still sealed to the old policy"});
            return;
        }
        case PendingRekeyState::committed:
            out.push_back({Severity::warning, "rekey-incomplete", rel,
                           "the rekey of request " + pending->manifest->request +
                               " was committed in audit record " +
                               std::to_string(pending->commit->record.seq) +
                               " and is not finished; writers refuse the vault until 'ssoescrow "
                               "rekey finish --vault " +
                               dir_text(vault_dir) + "' finishes it"});
            return;
    }
}

}  // namespace ssoescrow::vault
