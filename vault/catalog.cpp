#include "vault/catalog.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <system_error>

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow::vault {

namespace fs = std::filesystem;

namespace {

bool is_sealing_record(AuditType type) {
    return type == AuditType::backup || type == AuditType::rotate || type == AuditType::import ||
           type == AuditType::adopt || type == AuditType::rekey;
}

// "<32 hex>.envelope" -> the id's hex, or "" for any other name.
std::string envelope_id_from_name(std::string_view name) {
    if (name.size() != 32 + k_envelope_file_suffix.size() ||
        name.substr(32) != k_envelope_file_suffix) {
        return {};
    }
    if (!parse_backup_id(name.substr(0, 32)))
        return {};
    return std::string(name.substr(0, 32));
}

void fill_from_record(CatalogEntry& entry, const AuditRecord& record) {
    if (auto created = parse_time(record.field("created"), "created"))
        entry.created = *created;
    entry.computer = std::string(record.field("computer"));
    entry.current_msid = std::string(record.field("current-msid"));
    entry.previous_msid = std::string(record.field("previous-msid"));
    entry.label = std::string(record.field("label"));
    entry.policy_fingerprint = std::string(record.field("policy"));
}

// Who may sign under each policy the vault has had (see catalog.hpp).
struct SignerRegistry {
    std::map<std::string, std::map<std::string, std::string>> signers_of;  // policy -> fpr->label

    bool may_sign(std::string_view policy, std::string_view signer) const {
        const auto it = signers_of.find(std::string(policy));
        return it != signers_of.end() && it->second.count(std::string(signer)) != 0;
    }
    std::string label_of(std::string_view signer) const {
        for (const auto& [policy, signers] : signers_of) {
            const auto it = signers.find(std::string(signer));
            if (it != signers.end() && !it->second.empty())
                return it->second;
        }
        return {};
    }
};

SignerRegistry signer_registry(const Vault& vault, const AuditChain& chain) {
    SignerRegistry registry;
    const std::string current = vault.config().escrow.fingerprint();
    auto& current_signers = registry.signers_of[current];
    for (const crypto::Signer& signer : vault.config().escrow.signers)
        current_signers[signer.fingerprint()] = signer.label;
    for (const ChainRecord& r : chain.records) {
        const AuditRecord& rec = r.record;
        if (rec.type != AuditType::vault_init && rec.type != AuditType::policy_change)
            continue;
        const std::string policy(rec.field("policy"));
        if (policy == current)
            continue;  // the config's block is authoritative: its fingerprint covers the signers
        auto& signers = registry.signers_of[policy];
        for (const std::string& fpr : rec.fields_named("policy-signer"))
            signers.emplace(fpr, std::string());
    }
    return registry;
}

// Checks every signed record against the policy in force at its place in the chain.
void check_record_signatures(const SignerRegistry& registry, Catalog& catalog) {
    std::string in_force;
    for (const ChainRecord& r : catalog.chain.records) {
        const AuditRecord& rec = r.record;
        if (rec.type == AuditType::vault_init || rec.type == AuditType::policy_change) {
            in_force = std::string(rec.field("policy"));
            continue;
        }
        if (!is_signed_record_type(rec.type))
            continue;
        auto signer = verify_audit_record_signature(rec);
        if (!signer) {
            catalog.untrusted_records.insert(rec.seq);
            catalog.findings.push_back({Severity::damaged, "record-signature-invalid", r.file,
                                        signer.error().message + ": not counted"});
            continue;
        }
        if (!registry.may_sign(in_force, signer->fingerprint)) {
            catalog.untrusted_records.insert(rec.seq);
            catalog.findings.push_back({Severity::damaged, "record-signer-unknown", r.file,
                                        std::string(audit_type_name(rec.type)) +
                                            " record signed by " + signer->fingerprint +
                                            ", which is not a signer of the policy in force (" +
                                            in_force + "): not counted"});
        }
    }
}

}  // namespace

void fill_from_header(CatalogEntry& entry, const EnvelopeHeader& header) {
    entry.created = header.created;
    entry.computer = header.source.computer;
    entry.secret_server = header.source.secret_server;
    entry.current_msid = header.source.current_msid;
    entry.previous_msid = header.source.previous_msid;
    entry.label = header.source.label;
    entry.policy_fingerprint = header.policy_fingerprint;
    entry.threshold = header.threshold;
    entry.custodians.clear();
    for (const Stanza& s : header.stanzas)
        entry.custodians.push_back(s.recipient_fingerprint);
}

void sort_catalog_entries(std::vector<CatalogEntry>& entries) {
    // Backups made in the same second are in the order the audit log recorded them, so that
    // "latest" is the one recorded last, not whichever has the larger random id.
    std::sort(entries.begin(), entries.end(), [](const CatalogEntry& a, const CatalogEntry& b) {
        if (a.created != b.created)
            return a.created < b.created;
        if (a.audit_seq != b.audit_seq)
            return a.audit_seq < b.audit_seq;
        return a.backup_id < b.backup_id;
    });
}

std::string describe_signer(const CatalogEntry& entry) {
    if (entry.signer.empty())
        return "no signature";
    if (entry.signer_label.empty())
        return "signer " + entry.signer;
    return "signer '" + entry.signer_label + "' (" + entry.signer + ")";
}

std::string_view backup_state_name(BackupState state) noexcept {
    switch (state) {
        case BackupState::verified:
            return "verified";
        case BackupState::orphan:
            return "orphan";
        case BackupState::pruned:
            return "pruned";
        case BackupState::missing:
            return "missing";
        case BackupState::damaged:
            return "damaged";
    }
    return "damaged";
}

const CatalogEntry* Catalog::newest_verified() const noexcept {
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (it->usable())
            return &*it;
    }
    return nullptr;
}

const CatalogEntry* Catalog::find(std::string_view backup_id) const noexcept {
    if (m_by_id.size() == entries.size()) {
        const auto it = m_by_id.find(backup_id);
        if (it == m_by_id.end())
            return nullptr;
        if (it->second < entries.size() && entries[it->second].backup_id == backup_id)
            return &entries[it->second];
    }
    // Entries changed since index_entries(): still correct, only slower.
    for (const CatalogEntry& e : entries) {
        if (e.backup_id == backup_id)
            return &e;
    }
    return nullptr;
}

void Catalog::index_entries() {
    m_by_id.clear();
    m_by_id.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i)
        m_by_id.emplace(entries[i].backup_id, i);
}

Result<Catalog> build_catalog(const Vault& vault) {
    TRY_ASSIGN(AuditChain chain, read_audit_chain(vault.dir(), vault.vault_id()));
    return build_catalog(vault, std::move(chain));
}

Result<Catalog> build_catalog(const Vault& vault, AuditChain chain) {
    Catalog catalog;
    catalog.chain = std::move(chain);
    const SignerRegistry registry = signer_registry(vault, catalog.chain);
    check_record_signatures(registry, catalog);

    std::set<std::string> known_policies{vault.config().escrow.fingerprint()};
    std::map<std::string, const AuditRecord*> announced;
    std::map<std::string, const AuditRecord*> pruned;
    for (const ChainRecord& r : catalog.chain.records) {
        const AuditRecord& rec = r.record;
        if (rec.type == AuditType::vault_init || rec.type == AuditType::policy_change) {
            known_policies.insert(std::string(rec.field("policy")));
        } else if (is_sealing_record(rec.type)) {
            if (!catalog.trusted(r))
                continue;  // an unsigned or foreign-signed record announces nothing
            const std::string id(rec.field("backup"));
            if (announced.count(id) != 0) {
                catalog.findings.push_back({Severity::warning, "backup-recorded-twice", r.file,
                                            "backup " + id +
                                                " was already recorded by an "
                                                "earlier record"});
                continue;
            }
            announced[id] = &rec;
        } else if (rec.type == AuditType::prune) {
            pruned[std::string(rec.field("backup"))] = &rec;
        }
    }

    const fs::path dir = vault.envelopes_dir();
    std::set<std::string> present;
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(dir, ec))) {
        catalog.findings.push_back({Severity::damaged, "envelopes-missing",
                                    std::string(k_envelopes_dir),
                                    "the envelopes directory is missing"});
    } else {
        fs::directory_iterator it(dir, ec);
        if (ec)
            return platform::file_error(ec, "list", dir);
        std::vector<std::string> names;
        for (; it != fs::directory_iterator(); it.increment(ec)) {
            if (ec)
                return platform::file_error(ec, "list", dir);
            if (names.size() == k_max_envelopes) {
                return make_error(Errc::limit_exceeded,
                                  "envelope directory " + platform::path_to_utf8(dir) +
                                      " holds more than " + std::to_string(k_max_envelopes) +
                                      " entries");
            }
            names.push_back(platform::path_to_utf8(it->path().filename()));
        }
        std::sort(names.begin(), names.end());
        // One allocation: a vector that doubles would hold up to twice the entries at its peak.
        catalog.entries.reserve(names.size() + announced.size());
        for (const std::string& name : names) {
            const std::string rel = std::string(k_envelopes_dir) + "/" + name;
            if (platform::is_temp_name(name)) {
                catalog.findings.push_back({Severity::warning, "temp-file", rel,
                                            "leftover temp file of an interrupted write; the "
                                            "next writer removes it"});
                continue;
            }
            const std::string id = envelope_id_from_name(name);
            if (id.empty()) {
                catalog.findings.push_back({Severity::warning, "unknown-file", rel,
                                            "not an envelope name (<32 hex>.envelope); ignored"});
                continue;
            }
            present.insert(id);
            CatalogEntry entry;
            entry.backup_id = id;
            entry.path = rel;
            const auto rec_it = announced.find(id);
            const auto pruned_it = pruned.find(id);
            if (rec_it != announced.end()) {
                fill_from_record(entry, *rec_it->second);
                entry.audit_seq = rec_it->second->seq;
                entry.recorded_as = std::string(audit_type_name(rec_it->second->type));
                entry.rekeyed_from = std::string(rec_it->second->field("old-backup"));
            }
            auto damage = [&](std::string code, std::string message) {
                entry.state = BackupState::damaged;
                entry.problem = message;
                catalog.findings.push_back(
                    {Severity::damaged, std::move(code), rel, std::move(message)});
            };
            auto bytes =
                platform::read_file(dir / platform::path_from_utf8(name), k_max_envelope_file_size);
            if (!bytes) {
                damage(bytes.error().code == Errc::limit_exceeded ? "envelope-too-large"
                                                                  : "envelope-unreadable",
                       bytes.error().message);
                catalog.entries.push_back(std::move(entry));
                continue;
            }
            entry.envelope_hash = to_hex(crypto::sha256(*bytes));
            if (bytes->empty()) {
                damage("envelope-empty", "the envelope is empty (0 bytes)");
                catalog.entries.push_back(std::move(entry));
                continue;
            }
            auto header = parse_envelope_header(*bytes);
            if (!header) {
                damage(header.error().code == Errc::unsupported_version
                           ? "envelope-unsupported-version"
                           : "envelope-malformed",
                       header.error().message);
                catalog.entries.push_back(std::move(entry));
                continue;
            }
            fill_from_header(entry, *header);
            entry.signer = header->signer_fingerprint;
            entry.signer_label = registry.label_of(entry.signer);
            const std::string header_id = backup_id_hex(header->backup_id);
            auto signature = check_envelope_signature(*header, *bytes);
            if (header_id != id) {
                damage("envelope-id-mismatch", "the file is named for backup " + id +
                                                   " but holds backup " + header_id +
                                                   " (files swapped or renamed)");
            } else if (header->vault_id_hex() != vault.vault_id()) {
                damage("envelope-other-vault", "the envelope was sealed for vault " +
                                                   header->vault_id_hex() + ", not this vault " +
                                                   vault.vault_id() +
                                                   " (copied from another vault): never restored");
            } else if (!signature) {
                damage("envelope-signature-invalid", signature.error().message);
            } else if (known_policies.count(entry.policy_fingerprint) == 0) {
                damage("envelope-foreign-policy",
                       "the envelope is sealed to policy " + entry.policy_fingerprint +
                           ", which this vault never had, and signed by " + describe_signer(entry) +
                           ": someone placed it there");
            } else if (!registry.may_sign(entry.policy_fingerprint, entry.signer)) {
                damage("envelope-signer-unknown",
                       "signed by " + describe_signer(entry) +
                           ", which is not a signer of its "
                           "policy " +
                           entry.policy_fingerprint +
                           " as this vault knows it: someone without a signing key of the "
                           "vault placed it there; never restored, adopted or counted");
            } else if (pruned_it != pruned.end()) {
                // A prune record wins over the record that announced the backup.
                if (pruned_it->second->field("envelope") == entry.envelope_hash) {
                    entry.state = BackupState::pruned;
                    entry.problem = "pruned in audit record " +
                                    std::to_string(pruned_it->second->seq) +
                                    " but still present (an interrupted prune)";
                    catalog.findings.push_back({Severity::warning, "prune-incomplete", rel,
                                                entry.problem + "; the next prune removes it"});
                } else {
                    damage("envelope-altered",
                           "a backup with this id was pruned, and this file is not that backup");
                }
            } else if (rec_it != announced.end()) {
                if (rec_it->second->field("envelope") != entry.envelope_hash) {
                    damage("envelope-altered",
                           "the envelope's SHA-256 differs from the one recorded in audit record " +
                               std::to_string(entry.audit_seq) + " (replaced or altered)");
                } else {
                    entry.state = BackupState::verified;
                }
            } else if (entry.policy_fingerprint != vault.config().escrow.fingerprint()) {
                // Writers seal to the current policy only: an unrecorded envelope of an earlier
                // one was placed here (perhaps with a key the policy has since dropped).
                damage("envelope-unrecorded-old-policy",
                       "the envelope has no audit record and is sealed under policy " +
                           entry.policy_fingerprint +
                           ", which is no longer the vault's: never adopted or restored");
            } else {
                entry.state = BackupState::orphan;
                entry.problem = "no audit record (a writer stopped after writing the envelope)";
                catalog.findings.push_back({Severity::warning, "envelope-orphan", rel,
                                            entry.problem + "; the next prune adopts it"});
            }
            catalog.entries.push_back(std::move(entry));
        }
    }
    for (const auto& [id, record] : announced) {
        if (present.count(id) != 0 || pruned.count(id) != 0)
            continue;
        CatalogEntry entry;
        entry.backup_id = id;
        entry.path = std::string(k_envelopes_dir) + "/" + id + std::string(k_envelope_file_suffix);
        fill_from_record(entry, *record);
        entry.audit_seq = record->seq;
        entry.recorded_as = std::string(audit_type_name(record->type));
        entry.envelope_hash = std::string(record->field("envelope"));
        entry.state = BackupState::missing;
        entry.problem = "recorded in audit record " + std::to_string(record->seq) +
                        " and never pruned, but the file is gone";
        catalog.findings.push_back(
            {Severity::damaged, "envelope-missing", entry.path, entry.problem});
        catalog.entries.push_back(std::move(entry));
    }
    sort_catalog_entries(catalog.entries);
    catalog.index_entries();
    return catalog;
}

}  // namespace ssoescrow::vault
