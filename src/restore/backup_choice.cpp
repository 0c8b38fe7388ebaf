#include "src/restore/backup_choice.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

#include "crypto/hash.hpp"
#include "vault/envelope.hpp"
#include "vault/text_format.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::restore {

namespace {

bool is_hex_prefix(std::string_view text) {
    return text.size() >= k_min_backup_prefix && text.size() < 32 &&
           std::all_of(text.begin(), text.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

Result<const vault::CatalogEntry*> find_backup(const vault::Catalog& catalog,
                                               const std::string& wanted,
                                               const std::string& vault_dir) {
    std::string lowered = wanted;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string list_hint = "run 'ssoescrow vault list --vault " + vault_dir + "'";
    if (!is_hex_prefix(lowered)) {
        TRY_ASSIGN(const vault::BackupId id, vault::parse_backup_id(lowered));
        const vault::CatalogEntry* entry = catalog.find(vault::backup_id_hex(id));
        if (entry == nullptr) {
            return make_error(Errc::not_found, "backup " + wanted + " is not in vault " + vault_dir,
                              list_hint);
        }
        return entry;
    }
    std::vector<const vault::CatalogEntry*> matches;
    for (const vault::CatalogEntry& entry : catalog.entries) {
        if (entry.backup_id.compare(0, lowered.size(), lowered) == 0)
            matches.push_back(&entry);
    }
    if (matches.empty()) {
        return make_error(Errc::not_found,
                          "no backup of vault " + vault_dir + " has an id starting with " + wanted,
                          list_hint);
    }
    if (matches.size() > 1) {
        std::string candidates;
        for (const vault::CatalogEntry* entry : matches) {
            candidates += "\n  " + entry->backup_id + "  " + vault::format_time(entry->created) +
                          "  " + std::string(vault::backup_state_name(entry->state));
        }
        return make_error(Errc::usage,
                          "backup id prefix " + wanted +
                              " is ambiguous: " + std::to_string(matches.size()) +
                              " backups of vault " + vault_dir + " start with it:" + candidates,
                          "give more digits of the id");
    }
    return matches.front();
}

std::optional<CachedChoice> verified_backup_from_cache(const vault::Vault& vault,
                                                       const std::filesystem::path& state_dir,
                                                       const vault::HeadCache& cache,
                                                       const vault::EnvelopeHeader& header,
                                                       ByteView envelope) {
    std::optional<vault::VerifiedHistory> history =
        vault::verify_history_from_cache(vault, state_dir, &cache);
    if (!history)
        return std::nullopt;
    const std::string id = vault::backup_id_hex(header.backup_id);
    const vault::CachedBackup* cached = history->find_backup(id);
    if (cached == nullptr || to_hex(crypto::sha256(envelope)) != cached->envelope ||
        header.vault_id_hex() != vault.vault_id() ||
        header.policy_fingerprint != vault.config().escrow.fingerprint()) {
        return std::nullopt;
    }
    const crypto::Signer* signer = vault.config().escrow.find_signer(header.signer_fingerprint);
    if (signer == nullptr || !vault::check_envelope_signature(header, envelope))
        return std::nullopt;
    CachedChoice choice;
    vault::CatalogEntry& entry = choice.entry;
    entry.backup_id = id;
    entry.path = vault::Vault::envelope_relative_path(header.backup_id);
    entry.envelope_hash = cached->envelope;
    vault::fill_from_header(entry, header);
    entry.audit_seq = cached->seq;
    entry.signer = header.signer_fingerprint;
    entry.signer_label = signer->label;
    entry.state = vault::BackupState::verified;
    choice.departed = std::move(history->departed);
    return choice;
}

}  // namespace ssoescrow::restore
