#include "vault/check.hpp"

#include <algorithm>
#include <set>
#include <system_error>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "vault/lock.hpp"
#include "vault/rekey_pending.hpp"
#include "vault/writer.hpp"

namespace ssoescrow::vault {

namespace fs = std::filesystem;

namespace {

void check_config_recorded(const Vault& vault, const AuditChain& chain, Findings& out) {
    const ChainRecord* latest = recorded_policy(chain).record;
    if (latest == nullptr)
        return;  // the chain's own findings say vault-init is missing
    if (recorded_config_hash(latest->record) == vault.config_hash())
        return;
    const AuditType type = latest->record.type;
    if ((type == AuditType::policy_change || type == AuditType::config_change) &&
        latest->record.field("old-config") == vault.config_hash()) {
        const bool settings = type == AuditType::config_change;
        out.push_back(
            {Severity::warning, settings ? "config-change-incomplete" : "policy-change-incomplete",
             std::string(k_config_file),
             "audit record " + std::to_string(latest->record.seq) + " records a " +
                 (settings ? "settings" : "policy") +
                 " change but the config is still the old one (the change was "
                 "interrupted" +
                 (settings ? "; 'vault config set' without settings finishes it)" : ")")});
        return;
    }
    out.push_back({Severity::damaged, "config-not-recorded", std::string(k_config_file),
                   "the config's SHA-256 is not the one recorded in audit record " +
                       std::to_string(latest->record.seq) +
                       ": it was replaced outside ssoescrow (custodians may have been swapped)"});
}

// A departure or reinstatement names a custodian: one that some policy of the vault had at that
// point of the chain (the writer checks it; a record written by hand may not).
void check_custodian_records(const AuditChain& chain, Findings& out) {
    std::set<std::string, std::less<>> known;
    for (const ChainRecord& r : chain.records) {
        const AuditRecord& record = r.record;
        if (record.type == AuditType::vault_init || record.type == AuditType::policy_change) {
            for (const std::string& fp : record.fields_named("custodian"))
                known.insert(fp);
        } else if (record.type == AuditType::custodian_departed ||
                   record.type == AuditType::custodian_reinstated) {
            const std::string_view fp = record.field("custodian");
            if (known.count(fp) == 0) {
                out.push_back({Severity::warning, "audit-unknown-custodian", r.file,
                               std::string(audit_type_name(record.type)) + " record names " +
                                   std::string(fp) +
                                   ", which no escrow policy of this vault had: status ignores "
                                   "it"});
            }
        }
    }
}

void check_top_level(const Vault& vault, Findings& out) {
    static const std::set<std::string> k_known{
        std::string(k_config_file),     std::string(k_envelopes_dir), std::string(k_audit_dir),
        std::string(k_audit_head_file), std::string(k_lock_dir_name), std::string(k_rekey_dir)};
    std::error_code ec;
    for (fs::directory_iterator it(vault.dir(), ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = platform::path_to_utf8(it->path().filename());
        if (k_known.count(name) != 0)
            continue;
        if (platform::is_temp_name(name)) {
            out.push_back({Severity::warning, "temp-file", name,
                           "leftover temp file of an interrupted write; the next writer removes "
                           "it"});
        } else {
            out.push_back(
                {Severity::warning, "unknown-file", name, "not part of the vault layout; ignored"});
        }
    }
    const fs::path locks = vault.dir() / k_lock_dir_name;
    if (fs::is_symlink(fs::symlink_status(locks, ec)))
        return;  // check_subdirectories reports it; its target is not the vault's to list
    for (fs::directory_iterator it(locks, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = platform::path_to_utf8(it->path().filename());
        if (platform::is_temp_name(name)) {
            out.push_back({Severity::warning, "temp-file",
                           std::string(k_lock_dir_name) + "/" + name,
                           "leftover temp file of an interrupted lock write; the next writer "
                           "removes it (at once when it was written on the writer's host by a "
                           "process that is gone, otherwise after an hour)"});
        }
    }
}

// A vault directory replaced by a symbolic link sends every writer and reader somewhere else (for
// locks/: two writers on two nodes may each see a lock directory of their own). Nothing ssoescrow
// writes is a link, so one is damage, whatever it points at.
void check_subdirectories(const Vault& vault, Findings& out) {
    for (const std::string_view name : {k_envelopes_dir, k_audit_dir, k_lock_dir_name}) {
        std::error_code ec;
        if (!fs::is_symlink(fs::symlink_status(vault.dir() / name, ec)))
            continue;
        out.push_back({Severity::damaged, "directory-symlink", std::string(name),
                       "is a symbolic link, not a directory of the vault: writers and readers "
                       "would follow it out of the vault; replace it with the real directory "
                       "(from a copy of the vault)"});
    }
}

void check_lock(const Vault& vault, Clock& clock, Findings& out) {
    LockOptions options;
    options.clock = &clock;
    const std::string rel = std::string(k_lock_dir_name) + "/" + std::string(k_lock_file_name);
    auto status = read_lock_status(vault.dir(), options);
    if (!status) {
        out.push_back({Severity::warning, "lock-unreadable", rel, status.error().message});
        return;
    }
    if (!status->has_value())
        return;
    const LockStatus& lock = **status;
    const std::string holder = "held by " + lock.info.operation + " on " + lock.info.host +
                               " (pid " + std::to_string(lock.info.pid) + ") since " +
                               format_time(lock.info.started) + ", last refreshed " +
                               format_duration(lock.age_seconds) + " ago";
    switch (lock.state) {
        case LockState::live:
            out.push_back({Severity::info, "lock-held", rel,
                           holder + ": a writer is at work (findings may reflect its progress)"});
            break;
        case LockState::stale_dead:
            out.push_back({Severity::warning, "lock-stale", rel,
                           holder + ": its process is gone; the next writer takes it over"});
            break;
        case LockState::stale_expired:
            out.push_back({Severity::warning, "lock-stale", rel,
                           holder + ": not refreshed within its ttl; the next writer takes it "
                                    "over"});
            break;
    }
    if (lock.in_future) {
        out.push_back({Severity::warning, "time-in-future", rel,
                       "the lock was refreshed in the future by this machine's clock (skew)"});
    }
}

// The audit head (FORMAT.md 4.3 "Audit head") against the chain just verified. Absent is fine (a
// vault from before it: the next append writes it). Ahead of the chain is the trace of an append
// interrupted between the audit head and its record, which the next writer corrects. Behind the
// chain it is damage: writers that find the records after their cached head from it would not
// see the newer records and would fork the log.
void check_audit_head(const Vault& vault, const AuditChain& chain, Findings& out) {
    const std::string rel(k_audit_head_file);
    auto read = read_audit_head(vault.dir());
    if (!read) {
        out.push_back({Severity::warning, "audit-head-unreadable", rel,
                       read.error().message + "; writers list audit/ instead, and the next one "
                                              "writes it anew"});
        return;
    }
    if (!*read || chain.records.empty())
        return;
    const AuditHeadFile& head = **read;
    if (head.vault_id != vault.vault_id()) {
        out.push_back({Severity::warning, "audit-head-unreadable", rel,
                       "names vault " + head.vault_id + ", not this vault " + vault.vault_id() +
                           "; writers list audit/ instead, and the next one writes it anew"});
        return;
    }
    if (head.head.seq == chain.head_seq() && head.head.hash == chain.head_hash())
        return;
    const ChainRecord* named = chain.find(head.head.seq);
    if (head.head.seq > chain.head_seq() || named == nullptr || named->hash != head.head.hash) {
        out.push_back(
            {Severity::warning, "audit-head-ahead", rel,
             "names record " + std::to_string(head.head.seq) +
                 ", which is not in the audit log (an append interrupted after its audit head "
                 "was written); the next writer lists audit/ and writes it anew"});
        return;
    }
    out.push_back({Severity::damaged, "audit-head-behind", rel,
                   "names record " + std::to_string(head.head.seq) + " but the log goes on to " +
                       std::to_string(chain.head_seq()) +
                       " (written by a writer that does not keep the audit head, or the file "
                       "was replaced): writers would extend the log from the older record; "
                       "remove " +
                       rel + " and the next writer lists audit/ and writes it anew"});
}

}  // namespace

Result<CheckReport> check_vault(const Vault& vault, const CheckOptions& options) {
    Clock& clock = options.clock != nullptr ? *options.clock : system_clock();
    const UnixTime now = clock.now();
    CheckReport report;
    TRY_ASSIGN(report.catalog, build_catalog(vault));
    Findings& out = report.findings;
    out = report.catalog.chain.findings;
    out.insert(out.end(), report.catalog.findings.begin(), report.catalog.findings.end());
    check_top_level(vault, out);
    check_subdirectories(vault, out);
    check_audit_head(vault, report.catalog.chain, out);
    check_config_recorded(vault, report.catalog.chain, out);
    for (const ChainRecord* forged : config_changes_of_policy(report.catalog.chain)) {
        out.push_back({Severity::damaged, "config-change-policy", forged->file,
                       "config-change record " + std::to_string(forged->record.seq) +
                           " names escrow policy " + std::string(forged->record.field("policy")) +
                           ", not the policy before it: a settings change never changes the "
                           "policy (a forged record)"});
    }
    check_custodian_records(report.catalog.chain, out);
    check_pending_rekey(vault.dir(), report.catalog.chain, out);
    check_lock(vault, clock, out);
    if (options.seen) {
        const Findings rollback = compare_with_seen(report.catalog.chain, *options.seen);
        out.insert(out.end(), rollback.begin(), rollback.end());
    }
    for (const ChainRecord& r : report.catalog.chain.records) {
        if (r.record.time > now + k_future_tolerance_seconds) {
            out.push_back({Severity::warning, "time-in-future", r.file,
                           "recorded at " + format_time(r.record.time) +
                               ", after this machine's clock (" + format_time(now) + ")"});
        }
    }
    for (const CatalogEntry& e : report.catalog.entries) {
        if (e.created > now + k_future_tolerance_seconds) {
            out.push_back({Severity::warning, "time-in-future", e.path,
                           "created " + format_time(e.created) + ", after this machine's clock (" +
                               format_time(now) + ")"});
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
        return a.file != b.file ? a.file < b.file : a.code < b.code;
    });
    return report;
}

}  // namespace ssoescrow::vault
