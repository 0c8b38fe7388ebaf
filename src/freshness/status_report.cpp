#include "src/freshness/status_report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "platform/path_text.hpp"
#include "src/version.hpp"
#include "vault/catalog.hpp"
#include "vault/check.hpp"
#include "vault/custodians.hpp"
#include "vault/rekey_pending.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::freshness {

namespace {

using ordered_json = nlohmann::ordered_json;
using vault::UnixTime;

bool is_sealing(vault::AuditType type) {
    return type == vault::AuditType::backup || type == vault::AuditType::rotate ||
           type == vault::AuditType::import || type == vault::AuditType::adopt ||
           type == vault::AuditType::rekey;
}

// A rekeyed backup is its old backup sealed again (FORMAT.md 4.10): it inherits where the
// password came from. Its `created` is the old one already (the record carries it).
void inherit_from_predecessor(StatusBackup& b, const vault::AuditRecord& record,
                              const std::vector<StatusBackup>& earlier) {
    const std::string_view old_id = record.field("old-backup");
    for (const StatusBackup& old : earlier) {
        if (old.id == old_id) {
            b.password = old.password;
            b.predecessors = old.predecessors;
            b.predecessors.push_back(old.id);
            return;
        }
    }
    b.password = "unknown";  // its predecessor's record is not trusted or not visible
}

CheckState overall_of(const std::vector<CheckResult>& checks) {
    CheckState state = CheckState::ok;
    for (const CheckResult& c : checks)
        state = worse(state, c.state);
    return state;
}

struct Counts {
    int critical = 0, unknown = 0, warning = 0, ok = 0, not_applicable = 0;
};

Counts count(const VaultStatus& status) {
    Counts c;
    for (const CheckResult& r : status.checks) {
        switch (r.state) {
            case CheckState::critical:
                ++c.critical;
                break;
            case CheckState::unknown:
                ++c.unknown;
                break;
            case CheckState::warning:
                ++c.warning;
                break;
            case CheckState::ok:
                ++c.ok;
                break;
            case CheckState::not_applicable:
                ++c.not_applicable;
                break;
        }
    }
    return c;
}

std::string counts_text(const Counts& c) {
    std::string out;
    auto add = [&](int n, std::string_view what) {
        if (n == 0)
            return;
        if (!out.empty())
            out += ", ";
        out += std::to_string(n) + " " + std::string(what);
    };
    add(c.critical, "critical");
    add(c.unknown, "unknown");
    add(c.warning, "warning");
    add(c.ok, "ok");
    add(c.not_applicable, "not applicable");
    return out;
}

// Prometheus label values: backslash, double quote and newline escaped.
std::string label_value(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string number(double value) {
    char buffer[64];
    if (value == static_cast<double>(static_cast<long long>(value))) {
        std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(value));
    } else {
        std::snprintf(buffer, sizeof buffer, "%.17g", value);
    }
    return buffer;
}

// Nagios performance data labels: no '=' or quote; quoted when they hold a space.
std::string perf_label(std::string label) {
    std::replace(label.begin(), label.end(), '\'', '_');
    std::replace(label.begin(), label.end(), '=', '_');
    return label.find(' ') == std::string::npos ? label : "'" + label + "'";
}

// Nagios plugin output must stay on one line and must not contain '|'.
std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '|')
            c = ' ';
    }
    return text;
}

// "2 vaults, 1 unknown, 1 ok": how many vaults are in each state, worst first.
std::string vault_tally(const StatusRun& run) {
    std::size_t by_state[5] = {0, 0, 0, 0, 0};
    for (const VaultStatus& v : run.vaults)
        ++by_state[static_cast<int>(v.overall)];
    std::string tally = std::to_string(run.vaults.size()) + " vaults";
    const CheckState order[] = {CheckState::critical, CheckState::unknown, CheckState::warning,
                                CheckState::ok};
    for (CheckState s : order) {
        if (by_state[static_cast<int>(s)] != 0)
            tally += ", " + std::to_string(by_state[static_cast<int>(s)]) + " " +
                     std::string(state_name(s));
    }
    return tally;
}

}  // namespace

Result<vault::FreshnessPolicy> effective_policy(const vault::FreshnessPolicy& base,
                                                const PolicyOverrides& overrides) {
    vault::FreshnessPolicy policy = base;
    if (overrides.max_backup_age)
        policy.max_backup_age = *overrides.max_backup_age;
    if (overrides.critical_backup_age)
        policy.critical_backup_age = *overrides.critical_backup_age;
    if (overrides.max_drill_age)
        policy.max_drill_age = *overrides.max_drill_age;
    if (overrides.max_key_age)
        policy.max_key_age = *overrides.max_key_age;
    if (overrides.min_retained)
        policy.min_retained = *overrides.min_retained;
    if (overrides.min_retention)
        policy.min_retention = *overrides.min_retention;
    const std::pair<std::string_view, std::int64_t> ages[] = {
        {"max-backup-age", policy.max_backup_age},
        {"critical-backup-age", policy.critical_backup_age},
        {"max-drill-age", policy.max_drill_age},
        {"min-retention", policy.min_retention},
        {"max-key-age", policy.effective_max_key_age()},
    };
    for (const auto& [name, value] : ages) {
        if (value <= 0) {
            return make_error(Errc::usage,
                              "--" + std::string(name) + " " + vault::format_duration(value) +
                                  ": every age must be above 0s",
                              "give a duration such as 26h, 90d or 730d");
        }
    }
    if (policy.min_retained == 0)
        return make_error(Errc::usage, "--min-retained must be at least 1");
    if (policy.critical_backup_age < policy.max_backup_age) {
        return make_error(
            Errc::usage,
            "critical-backup-age " + vault::format_duration(policy.critical_backup_age) +
                " is below max-backup-age " + vault::format_duration(policy.max_backup_age),
            "give --critical-backup-age at least as long as --max-backup-age");
    }
    return policy;
}

Result<Collected> collect_status_input(const vault::Vault& vault, const CollectOptions& options) {
    vault::Clock& clock = options.clock != nullptr ? *options.clock : vault::system_clock();
    Collected out;
    StatusInput& in = out.input;
    in.vault = platform::path_to_utf8(vault.dir());
    in.vault_id = vault.vault_id();
    in.wall_now = clock.now();
    in.now = options.as_of.value_or(in.wall_now);
    in.as_of = options.as_of.has_value();
    const vault::VaultConfig& config = vault.config();
    in.vault_created = config.created;
    TRY_ASSIGN(in.policy, effective_policy(config.freshness, options.overrides));
    in.threshold = config.escrow.threshold;
    for (const auto& r : config.escrow.recipients) {
        in.recipients.push_back(r.fingerprint());
        in.recipient_labels.push_back(r.label);
    }
    in.policy_fingerprint = config.escrow.fingerprint();
    in.bridge_given = options.bridge_given;
    in.live = options.live;
    in.live_error = options.live_error;

    vault::CheckOptions check_options;
    check_options.clock = &clock;
    check_options.seen = options.seen;
    TRY_ASSIGN(vault::CheckReport report, vault::check_vault(vault, check_options));
    in.integrity_checked = true;
    in.integrity = options.seen_findings;
    in.integrity.insert(in.integrity.end(), report.findings.begin(), report.findings.end());

    vault::Catalog& catalog = report.catalog;
    // A damaged pending state is vault-integrity's finding; here only a current ceremony counts.
    if (auto pending = vault::read_pending_rekey(vault.dir(), catalog.chain);
        pending && pending->state == vault::PendingRekeyState::awaiting_proof &&
        !pending->expired(in.wall_now)) {
        in.rekey_awaiting = pending->awaiting;
    }
    // What remembering the head as seen needs (seq, hash, vault of every record), before the
    // records themselves move into the input: one copy of the chain in memory, not three.
    out.chain.findings = catalog.chain.findings;
    out.chain.records.reserve(catalog.chain.records.size());
    for (const vault::ChainRecord& r : catalog.chain.records) {
        vault::ChainRecord skeleton;
        skeleton.record.seq = r.record.seq;
        skeleton.record.vault_id = r.record.vault_id;
        skeleton.hash = r.hash;
        skeleton.file = r.file;
        out.chain.records.push_back(std::move(skeleton));
    }
    in.records.reserve(catalog.chain.records.size());
    for (vault::ChainRecord& r : catalog.chain.records) {
        // A backup, drill or restore record not signed by a signer of the policy proves
        // nothing: it is never counted (vault-integrity reports it as damage).
        if (!catalog.trusted(r))
            continue;
        if (!in.as_of || r.record.time <= in.now)
            in.records.push_back(std::move(r));
    }
    in.chain_records = catalog.chain.records.size();
    catalog.chain.records.clear();
    // Backups pruned (by record) up to the evaluation time.
    std::set<std::string> pruned;
    for (const vault::ChainRecord& r : in.records) {
        if (r.record.type == vault::AuditType::prune)
            pruned.insert(std::string(r.record.field("backup")));
    }
    const vault::CustodianRoster roster = vault::custodian_roster(in.records);
    std::set<std::string> seen_ids;
    for (const vault::ChainRecord& r : in.records) {
        if (!is_sealing(r.record.type))
            continue;
        StatusBackup b;
        b.id = std::string(r.record.field("backup"));
        if (!seen_ids.insert(b.id).second)
            continue;  // recorded twice (vault check reports it)
        auto created = vault::parse_time(r.record.field("created"), "created");
        b.created = created ? *created : r.record.time;
        if (in.as_of && b.created > in.now)
            continue;
        b.recorded = r.record.time;
        b.kind = std::string(vault::audit_type_name(r.record.type));
        b.password = r.record.type == vault::AuditType::import  ? "typed"
                     : r.record.type == vault::AuditType::adopt ? "unknown"
                                                                : "generated";
        if (r.record.type == vault::AuditType::rekey)
            inherit_from_predecessor(b, r.record, in.backups);
        b.computer = std::string(r.record.field("computer"));
        b.current_msid = std::string(r.record.field("current-msid"));
        b.previous_msid = std::string(r.record.field("previous-msid"));
        b.policy = std::string(r.record.field("policy"));
        b.seq = r.record.seq;
        const vault::CatalogEntry* entry = catalog.find(b.id);
        if (entry != nullptr && !entry->custodians.empty()) {
            b.custodians = entry->custodians;
            b.threshold = entry->threshold;
        } else if (const auto members = roster.policies.find(b.policy);
                   members != roster.policies.end()) {
            b.custodians = members->second.custodians;
            b.threshold = members->second.threshold;
        }
        if (pruned.count(b.id) != 0) {
            b.state = "pruned";
        } else if (entry != nullptr) {
            b.state = std::string(vault::backup_state_name(entry->state));
            b.usable = entry->usable();
            // Pruned now but not yet at the as-of time: its file was verified when pruned.
            if (in.as_of && entry->state == vault::BackupState::pruned) {
                b.state = "pruned-later";
                b.usable = true;
            }
        } else if (in.as_of) {
            b.state = "pruned-later";  // gone now, removed by a prune after the as-of time
            b.usable = true;
        } else {
            b.state = "missing";
        }
        in.backups.push_back(std::move(b));
    }
    vault::AuditChain visible;
    visible.records = std::move(in.records);
    in.drills = vault::restore_receipts(visible);
    in.records = std::move(visible.records);
    // A restore (or drill-server drill) in which ENTSSO accepted a backup's password proves it.
    // A drill of an old backup proves the password of its rekeyed successors too.
    std::multimap<std::string_view, StatusBackup*> backup_by_id;
    for (StatusBackup& b : in.backups) {
        backup_by_id.emplace(b.id, &b);
        for (const std::string& predecessor : b.predecessors)
            backup_by_id.emplace(predecessor, &b);
    }
    for (const vault::RestoreReceipt& receipt : in.drills) {
        if (!receipt.password_proven)
            continue;
        const auto [first, last] = backup_by_id.equal_range(receipt.backup_id);
        for (auto it = first; it != last; ++it) {
            it->second->password_proof_seq = receipt.seq;
            it->second->password_proof_time = receipt.time;
            it->second->password_proof_node = receipt.node;
        }
    }

    if (options.live) {
        out.secret_server = options.live->secret_server;
    } else if (const vault::CatalogEntry* newest = catalog.newest_verified()) {
        out.secret_server = newest->secret_server;
    }
    return out;
}

VaultStatus evaluate(const Collected& collected) {
    VaultStatus status;
    status.vault = collected.input.vault;
    status.vault_id = collected.input.vault_id;
    if (!collected.secret_server.empty())
        status.secret_server = collected.secret_server;
    status.checks = run_checks(collected.input);
    status.overall = overall_of(status.checks);
    return status;
}

VaultStatus unopenable_vault(const std::string& dir, const Error& error) {
    VaultStatus status;
    status.vault = dir;
    CheckResult result;
    result.id = "vault-integrity";
    const bool damaged = error.code == Errc::vault_damaged;
    result.state = damaged ? CheckState::critical : CheckState::unknown;
    result.summary = (damaged ? "vault damaged: " : "cannot open the vault: ") + error.message;
    result.observed = damaged ? "config damaged" : "not readable";
    result.threshold = "no damage, no warning (vault check)";
    result.evidence["error"] = error.message;
    result.fix = error.hint.empty() ? "Check the --vault path and run ssoescrow vault check "
                                      "--vault " +
                                          dir + "."
                                    : error.hint;
    status.checks.push_back(std::move(result));
    status.overall = status.checks.front().state;
    return status;
}

VaultStatus vault_not_created_yet(const std::string& dir, vault::UnixTime as_of,
                                  vault::UnixTime created) {
    VaultStatus status;
    status.vault = dir;
    CheckResult result;
    result.id = "vault-integrity";
    result.state = CheckState::unknown;
    result.summary = "the vault did not exist yet at " + vault::format_time(as_of) +
                     " (it was created " + vault::format_time(created) + ")";
    result.observed = "not created yet";
    result.threshold = "an --as-of time after the vault was created";
    result.evidence["as_of"] = vault::format_time(as_of);
    result.evidence["created"] = vault::format_time(created);
    result.fix = "Give an --as-of time after " + vault::format_time(created) +
                 "; before it, this vault holds no state to report.";
    status.checks.push_back(std::move(result));
    status.overall = CheckState::unknown;
    return status;
}

CheckState StatusRun::overall() const noexcept {
    CheckState state = CheckState::ok;
    for (const VaultStatus& v : vaults)
        state = worse(state, v.overall);
    return state;
}

int StatusRun::exit_code() const noexcept {
    return state_exit_code(overall());
}

std::vector<const CheckResult*> worst_first(const VaultStatus& status) {
    std::vector<const CheckResult*> out;
    for (const CheckResult& c : status.checks)
        out.push_back(&c);
    std::stable_sort(out.begin(), out.end(), [](const CheckResult* a, const CheckResult* b) {
        if (state_rank(a->state) != state_rank(b->state))
            return state_rank(a->state) > state_rank(b->state);
        // OK before N/A within the same rank.
        return a->state == CheckState::ok && b->state == CheckState::not_applicable;
    });
    return out;
}

// --- text --------------------------------------------------------------------------------------

std::string format_text(const StatusRun& run) {
    std::ostringstream out;
    const std::string when = run.as_of ? "as of " + vault::format_time(*run.as_of)
                                       : "at " + vault::format_time(run.evaluated_at);
    bool first = true;
    for (const VaultStatus& v : run.vaults) {
        if (!first)
            out << '\n';
        first = false;
        for (const CheckResult* c : worst_first(v)) {
            std::string label(state_label(c->state));
            label.resize(8, ' ');
            out << label << " " << c->id << ": " << one_line(c->summary) << '\n';
        }
        out << "status " << state_label(v.overall) << ": vault " << v.vault;
        if (v.vault_id)
            out << " (" << *v.vault_id << ")";
        if (v.secret_server)
            out << ", secret server " << *v.secret_server;
        out << ", " << when << ": " << counts_text(count(v)) << '\n';
        bool heading = false;
        for (const CheckResult* c : worst_first(v)) {
            if (c->fix.empty() || state_rank(c->state) == 0)
                continue;
            if (!heading)
                out << "what to do:\n";
            heading = true;
            out << "  " << c->id << ": " << one_line(c->fix) << '\n';
        }
    }
    if (run.vaults.size() > 1)
        out << "\noverall " << state_label(run.overall()) << ": " << vault_tally(run) << '\n';
    return out.str();
}

// --- JSON --------------------------------------------------------------------------------------

std::string format_json(const StatusRun& run) {
    ordered_json root;
    root["schema"] = k_status_schema;
    root["status"] = state_name(worse(CheckState::ok, run.overall()));
    root["exit_code"] = run.exit_code();
    root["evaluated_at"] = vault::format_time(run.evaluated_at);
    root["as_of"] =
        run.as_of ? ordered_json(vault::format_time(*run.as_of)) : ordered_json(nullptr);
    ordered_json vaults = ordered_json::array();
    for (const VaultStatus& v : run.vaults) {
        ordered_json j;
        j["vault"] = v.vault;
        j["vault_id"] = v.vault_id ? ordered_json(*v.vault_id) : ordered_json(nullptr);
        j["secret_server"] =
            v.secret_server ? ordered_json(*v.secret_server) : ordered_json(nullptr);
        j["status"] =
            state_name(v.overall == CheckState::not_applicable ? CheckState::ok : v.overall);
        j["exit_code"] = state_exit_code(v.overall);
        const Counts c = count(v);
        ordered_json summary;
        summary["critical"] = c.critical;
        summary["unknown"] = c.unknown;
        summary["warning"] = c.warning;
        summary["ok"] = c.ok;
        summary["not_applicable"] = c.not_applicable;
        j["summary"] = std::move(summary);
        ordered_json checks = ordered_json::array();
        for (const CheckResult& r : v.checks) {
            ordered_json item;
            item["id"] = r.id;
            item["state"] = state_name(r.state);
            item["summary"] = r.summary;
            item["observed"] = r.observed;
            item["threshold"] = r.threshold;
            item["evidence"] = r.evidence;
            item["fix"] = r.fix;
            checks.push_back(std::move(item));
        }
        j["checks"] = std::move(checks);
        vaults.push_back(std::move(j));
    }
    root["vaults"] = std::move(vaults);
    return root.dump(2) + "\n";
}

// --- Prometheus text exposition format ----------------------------------------------------------

std::string format_prometheus(const StatusRun& run) {
    struct Sample {
        std::string labels;
        double value;
    };
    struct Family {
        std::string help;
        std::vector<Sample> samples;
    };
    std::vector<std::pair<std::string, Family>> families;
    auto add = [&](const std::string& name, const std::string& help, std::string labels,
                   double value) {
        auto it = std::find_if(families.begin(), families.end(),
                               [&](const auto& f) { return f.first == name; });
        if (it == families.end()) {
            families.push_back({name, Family{help, {}}});
            it = families.end() - 1;
        }
        it->second.samples.push_back({std::move(labels), value});
    };
    for (const VaultStatus& v : run.vaults) {
        const std::string base = "vault=\"" + label_value(v.vault) + "\",secret_server=\"" +
                                 label_value(v.secret_server.value_or("")) + "\"";
        add("ssoescrow_status",
            "Worst state of the vault's checks: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN", base,
            state_exit_code(v.overall));
        for (const CheckResult& c : v.checks) {
            add("ssoescrow_check_state",
                "State of one check: 0 OK or not applicable, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
                base + ",check=\"" + label_value(c.id) + "\"", state_exit_code(c.state));
        }
        for (const CheckResult& c : v.checks) {
            for (const Metric& m : c.metrics)
                add("ssoescrow_" + m.name, m.help, base, m.value);
        }
        add("ssoescrow_status_evaluation_timestamp_seconds",
            "When the state was evaluated (Unix time; the as-of time in an as-of report)", base,
            static_cast<double>(run.as_of.value_or(run.evaluated_at)));
    }
    add("ssoescrow_build_info", "The ssoescrow version that produced these metrics (always 1)",
        "version=\"" + label_value(build_version()) + "\"", 1);
    std::ostringstream out;
    for (const auto& [name, family] : families) {
        out << "# HELP " << name << ' ' << family.help << '\n';
        out << "# TYPE " << name << " gauge\n";
        for (const Sample& s : family.samples)
            out << name << '{' << s.labels << "} " << number(s.value) << '\n';
    }
    return out.str();
}

// --- Nagios / Monitoring Plugins ----------------------------------------------------------------

namespace {

// One vault's part of the plugin output: its problems worst first, or how many checks passed.
std::string nagios_summary(const VaultStatus& v) {
    std::string problems;
    for (const CheckResult* c : worst_first(v)) {
        if (state_rank(c->state) == 0)
            continue;
        if (!problems.empty())
            problems += "; ";
        problems += std::string(state_label(c->state)) + " " + c->id + ": " + c->summary;
    }
    if (!problems.empty())
        return problems;
    std::string summary = std::to_string(count(v).ok) + " checks ok";
    for (const CheckResult& r : v.checks) {
        if (r.id == "backup-age" && r.state == CheckState::ok)
            summary += ", newest backup " + r.observed + " old";
    }
    return summary;
}

// label=value[unit];warn;crit;min for each metric with a perfdata label; thresholds are
// Monitoring Plugins ranges.
void append_perfdata(std::string& perfdata, const VaultStatus& v, bool several) {
    for (const CheckResult& c : v.checks) {
        for (const Metric& m : c.metrics) {
            if (m.perf_label.empty())
                continue;
            const std::string label = several ? v.vault + ":" + m.perf_label : m.perf_label;
            if (!perfdata.empty())
                perfdata += ' ';
            perfdata += perf_label(label) + "=" + number(m.value) + m.perf_unit + ";" +
                        m.warn_range + ";" + m.crit_range + ";0";
        }
    }
}

}  // namespace

// The Monitoring Plugins output: one status line with the performance data; with several
// vaults the first line sums them up and each vault's details follow on a line of its own (the
// plugin's "long output", which Nagios and Icinga show in the service details).
std::string format_nagios(const StatusRun& run) {
    const CheckState overall = run.overall();
    const bool several = run.vaults.size() > 1;
    std::string perfdata;
    for (const VaultStatus& v : run.vaults)
        append_perfdata(perfdata, v, several);
    std::string line =
        "SSOESCROW " +
        std::string(state_label(overall == CheckState::not_applicable ? CheckState::ok : overall)) +
        " - " + one_line(several ? vault_tally(run) : nagios_summary(run.vaults.front()));
    if (!perfdata.empty())
        line += " | " + perfdata;
    line += "\n";
    if (several) {
        for (const VaultStatus& v : run.vaults)
            line += one_line(v.vault + ": " + nagios_summary(v)) + "\n";
    }
    return line;
}

std::string nagios_unknown_line(std::string_view message) {
    return "SSOESCROW UNKNOWN - " + one_line(std::string(message)) + "\n";
}

}  // namespace ssoescrow::freshness
