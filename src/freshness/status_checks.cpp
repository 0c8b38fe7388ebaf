#include "src/freshness/status_checks.hpp"
#include "src/json_output.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "src/backup/backup_job.hpp"
#include "vault/check.hpp"
#include "vault/custodians.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::freshness {

namespace {

using ordered_json = nlohmann::ordered_json;
using vault::UnixTime;

constexpr std::int64_t k_tolerance = vault::k_future_tolerance_seconds;

std::int64_t age_at(UnixTime now, UnixTime time) {
    return time > now ? 0 : now - time;
}

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty())
            out += separator;
        out += item;
    }
    return out;
}

ordered_json backup_json(const StatusBackup& b) {
    ordered_json j;
    j["id"] = b.id;
    j["created"] = vault::format_time(b.created);
    j["recorded_as"] = b.kind;
    j["computer"] = b.computer;
    j["current_msid"] = msid_or_null(b.current_msid);
    j["state"] = b.state;
    j["audit_seq"] = b.seq;
    return j;
}

ordered_json receipt_json(const RestoreReceipt& r) {
    ordered_json j;
    j["node"] = r.node;
    j["msid"] = msid_or_null(r.msid);
    j["time"] = vault::format_time(r.time.time_since_epoch().count());
    j["backup"] = r.backup_id;
    return j;
}

CheckResult start(std::string_view id) {
    CheckResult result;
    result.id = std::string(id);
    result.state = CheckState::ok;
    return result;
}

Metric metric(std::string name, std::string help, double value) {
    Metric m;
    m.name = std::move(name);
    m.help = std::move(help);
    m.value = value;
    return m;
}

Metric perf(Metric m, std::string label, std::string unit, std::string warn_range = {},
            std::string crit_range = {}) {
    m.perf_label = std::move(label);
    m.perf_unit = std::move(unit);
    m.warn_range = std::move(warn_range);
    m.crit_range = std::move(crit_range);
    return m;
}

// Monitoring Plugins ranges: "N" alerts when the value is above N (or below 0), "N:" when it is
// below N.
std::string alert_above(std::int64_t limit) {
    return std::to_string(limit);
}
std::string alert_below(std::int64_t limit) {
    return std::to_string(limit) + ":";
}

bool is_clock_finding(const vault::Finding& f) {
    return f.code == "time-in-future" || f.code == "audit-time-backwards";
}

// The MSID every check compares with: the live one (bridge on the master secret server) or the
// newest one the vault recorded. `source` says where it came from; empty result: none known.
struct LiveMsid {
    std::string msid;
    std::string source;  // "bridge" or "vault"
    const StatusBackup* record = nullptr;
};

std::optional<LiveMsid> newest_recorded_msid(const StatusInput& input) {
    for (auto it = input.backups.rbegin(); it != input.backups.rend(); ++it) {
        if (msid_known(it->current_msid))
            return LiveMsid{it->current_msid, "vault", &*it};
    }
    return std::nullopt;
}

std::string backup_command(const StatusInput& input) {
    return "ssoescrow backup --vault " + input.vault + " --bridge \"...\"";
}

}  // namespace

std::string_view state_label(CheckState state) noexcept {
    switch (state) {
        case CheckState::ok:
            return "OK";
        case CheckState::not_applicable:
            return "N/A";
        case CheckState::warning:
            return "WARNING";
        case CheckState::unknown:
            return "UNKNOWN";
        case CheckState::critical:
            return "CRITICAL";
    }
    return "UNKNOWN";
}

std::string_view state_name(CheckState state) noexcept {
    switch (state) {
        case CheckState::ok:
            return "ok";
        case CheckState::not_applicable:
            return "not_applicable";
        case CheckState::warning:
            return "warning";
        case CheckState::unknown:
            return "unknown";
        case CheckState::critical:
            return "critical";
    }
    return "unknown";
}

int state_exit_code(CheckState state) noexcept {
    switch (state) {
        case CheckState::ok:
        case CheckState::not_applicable:
            return 0;
        case CheckState::warning:
            return 1;
        case CheckState::critical:
            return 2;
        case CheckState::unknown:
            return 3;
    }
    return 3;
}

int state_rank(CheckState state) noexcept {
    switch (state) {
        case CheckState::ok:
        case CheckState::not_applicable:
            return 0;
        case CheckState::warning:
            return 1;
        case CheckState::unknown:
            return 2;
        case CheckState::critical:
            return 3;
    }
    return 2;
}

CheckState worse(CheckState a, CheckState b) noexcept {
    if (state_rank(b) > state_rank(a))
        return b;
    if (state_rank(a) == 0 && state_rank(b) == 0)
        return a == CheckState::ok || b == CheckState::ok ? CheckState::ok : a;
    return a;
}

bool msid_known(std::string_view msid) noexcept {
    return !msid.empty() && msid != backup::k_unknown_msid;
}

std::string human_duration(std::int64_t seconds) {
    if (seconds < 0)
        seconds = 0;
    const std::int64_t days = seconds / 86400;
    const std::int64_t hours = seconds % 86400 / 3600;
    const std::int64_t minutes = seconds % 3600 / 60;
    if (days > 0)
        return std::to_string(days) + "d " + std::to_string(hours) + "h";
    if (hours > 0)
        return std::to_string(hours) + "h " + std::to_string(minutes) + "m";
    if (minutes > 0)
        return std::to_string(minutes) + "m " + std::to_string(seconds % 60) + "s";
    return std::to_string(seconds) + "s";
}

std::vector<RestoreReceipt> node_receipts(const std::vector<vault::ChainRecord>& records) {
    std::vector<RestoreReceipt> out;
    for (const vault::ChainRecord& chained : records) {
        const vault::AuditRecord& r = chained.record;
        const auto time = std::chrono::sys_seconds(std::chrono::seconds(r.time));
        switch (r.type) {
            case vault::AuditType::restore:
                out.push_back({std::string(r.field("node")), std::string(r.field("msid")), time,
                               std::string(r.field("backup"))});
                break;
            case vault::AuditType::backup:
            case vault::AuditType::rotate:
            case vault::AuditType::import:
            case vault::AuditType::adopt: {
                const std::string_view computer = r.field("computer");
                const std::string_view msid = r.field("current-msid");
                if (computer.empty() || computer == backup::k_unknown_msid || !msid_known(msid))
                    break;
                out.push_back({std::string(computer), std::string(msid), time,
                               std::string(r.field("backup"))});
                break;
            }
            default:
                break;
        }
    }
    return out;
}

const StatusBackup* newest_usable(const std::vector<StatusBackup>& backups) {
    const StatusBackup* best = nullptr;
    for (const StatusBackup& b : backups) {
        if (b.usable && (best == nullptr || b.created >= best->created))
            best = &b;
    }
    return best;
}

const StatusBackup* newest_usable_with_msid(const std::vector<StatusBackup>& backups) {
    const StatusBackup* best = nullptr;
    for (const StatusBackup& b : backups) {
        if (b.usable && msid_known(b.current_msid) &&
            (best == nullptr || b.created >= best->created))
            best = &b;
    }
    return best;
}

// --- backup-age ----------------------------------------------------------------------------------

CheckResult check_backup_age(const StatusInput& input) {
    CheckResult result = start("backup-age");
    const auto& policy = input.policy;
    result.threshold = "warning " + vault::format_duration(policy.max_backup_age) + ", critical " +
                       vault::format_duration(policy.critical_backup_age);
    result.metrics.push_back(metric("backup_age_warning_seconds",
                                    "Backup age above which status is WARNING (max-backup-age)",
                                    static_cast<double>(policy.max_backup_age)));
    result.metrics.push_back(
        metric("backup_age_critical_seconds",
               "Backup age above which status is CRITICAL (critical-backup-age)",
               static_cast<double>(policy.critical_backup_age)));
    result.metrics.push_back(
        metric("backups_verified", "Verified backups in the vault",
               static_cast<double>(std::count_if(input.backups.begin(), input.backups.end(),
                                                 [](const StatusBackup& b) { return b.usable; }))));

    const StatusBackup* newest = newest_usable(input.backups);
    if (newest == nullptr) {
        result.state = CheckState::critical;
        result.summary = input.backups.empty()
                             ? "no backup in the vault: losing the secret server loses every SSO "
                               "credential"
                             : "no verified backup: every recorded backup is missing or damaged";
        result.observed = "none";
        result.evidence["backups_recorded"] = input.backups.size();
        ordered_json unusable = ordered_json::array();
        for (const StatusBackup& b : input.backups)
            unusable.push_back(backup_json(b));
        result.evidence["unusable_backups"] = std::move(unusable);
        result.fix = "Take a backup now: " + backup_command(input) +
                     "; then make sure the scheduled backup job runs (scripts/windows/"
                     "install-backup-task.ps1).";
        return result;
    }
    result.evidence["backup"] = backup_json(*newest);
    if (newest->created > input.now + k_tolerance) {
        result.state = CheckState::unknown;
        result.summary = "newest backup " + newest->id + " is dated " +
                         vault::format_time(newest->created) +
                         ", in the future: its age cannot be trusted";
        result.observed = "in the future";
        result.fix =
            "Correct the clock of the machine that took the backup (see clock-sanity), "
            "then take a fresh backup.";
        return result;
    }
    const std::int64_t age = age_at(input.now, newest->created);
    result.evidence["age_seconds"] = age;
    result.observed = human_duration(age);
    result.metrics.push_back(perf(
        metric("backup_age_seconds", "Age of the newest verified backup", static_cast<double>(age)),
        "backup_age", "s", alert_above(policy.max_backup_age),
        alert_above(policy.critical_backup_age)));
    result.metrics.push_back(metric("backup_newest_timestamp_seconds",
                                    "Creation time of the newest verified backup (Unix time)",
                                    static_cast<double>(newest->created)));
    const std::string what = "newest verified backup " + newest->id + " is " + human_duration(age) +
                             " old (created " + vault::format_time(newest->created) + ")";
    if (age > policy.critical_backup_age) {
        result.state = CheckState::critical;
        result.summary = what + ", over critical-backup-age " +
                         vault::format_duration(policy.critical_backup_age);
    } else if (age > policy.max_backup_age) {
        result.state = CheckState::warning;
        result.summary =
            what + ", over max-backup-age " + vault::format_duration(policy.max_backup_age);
    } else {
        result.summary = what;
        return result;
    }
    result.fix =
        "Find out why the scheduled backup job did not run (Task Scheduler history, its "
        "JSON log), then take a backup: " +
        backup_command(input) + ".";
    return result;
}

// --- msid-current --------------------------------------------------------------------------------

CheckResult check_msid_current(const StatusInput& input) {
    CheckResult result = start("msid-current");
    result.threshold = "a verified backup holds the live current MSID";
    std::optional<LiveMsid> live;
    if (input.bridge_given) {
        if (!input.live) {
            result.state = CheckState::unknown;
            result.summary = "the SSO bridge status call failed: " + input.live_error;
            result.observed = "unknown";
            result.evidence["bridge_error"] = input.live_error;
            result.fix =
                "Check the --bridge command on this machine (run it with 'status'); the "
                "live MSID cannot be compared until it answers.";
            return result;
        }
        const bridge::ServerStatus& s = *input.live;
        result.evidence["computer"] = s.computer;
        result.evidence["secret_server"] = s.secret_server;
        result.evidence["is_secret_server"] = s.is_secret_server;
        if (!s.is_secret_server) {
            result.state = CheckState::unknown;
            result.summary = s.computer +
                             " is not the master secret server (the SSO database "
                             "names " +
                             s.secret_server + "): its MSID is not the live one";
            result.observed = "unknown";
            result.fix = "Run status with a bridge on the master secret server " + s.secret_server +
                         " (on a cluster: the node that owns the SSO group).";
            return result;
        }
        if (!s.current_msid) {
            result.state = CheckState::critical;
            result.summary = "the master secret server " + s.computer + " holds no master secret";
            result.observed = "none";
            result.fix = "Restore the newest backup on " + s.computer +
                         " (ssoescrow restore request/approve/apply), then check again.";
            return result;
        }
        live = LiveMsid{*s.current_msid, "bridge", nullptr};
        result.evidence["live_msid"] = *s.current_msid;
        result.evidence["live_previous_msid"] =
            s.previous_msid ? ordered_json(*s.previous_msid) : ordered_json(nullptr);
    } else {
        live = newest_recorded_msid(input);
        if (!live) {
            result.state = input.backups.empty() ? CheckState::critical : CheckState::unknown;
            result.summary = input.backups.empty()
                                 ? "no backup holds any master secret"
                                 : "no backup records a master secret ID (imports without "
                                   "--current-msid): currency cannot be judged";
            result.observed = "none";
            result.fix = input.backups.empty()
                             ? "Take a backup now: " + backup_command(input) + "."
                             : "Run status with --bridge to compare with the live secret, or "
                               "take a backup through the bridge.";
            return result;
        }
        result.evidence["live_msid"] = live->msid;
        result.evidence["live_msid_from"] = "audit record " + std::to_string(live->record->seq) +
                                            " (" + live->record->kind + " " + live->record->id +
                                            ", " + vault::format_time(live->record->recorded) + ")";
        result.evidence["note"] =
            "no --bridge: compared with the newest MSID the vault recorded; a secret generated "
            "outside ssoescrow is only detected with --bridge";
    }
    result.evidence["live_msid_source"] = live->source;
    result.observed = live->msid;

    const std::string current = normalize_msid(live->msid);
    const StatusBackup* holder = nullptr;
    for (const StatusBackup& b : input.backups) {
        if (b.usable && normalize_msid(b.current_msid) == current &&
            (holder == nullptr || b.created >= holder->created))
            holder = &b;
    }
    const StatusBackup* newest = newest_usable_with_msid(input.backups);
    result.evidence["newest_backup"] = newest ? backup_json(*newest) : ordered_json(nullptr);
    result.evidence["backup_of_live_msid"] = holder ? backup_json(*holder) : ordered_json(nullptr);
    result.metrics.push_back(metric("msid_current",
                                    "1 when a verified backup holds the live master secret",
                                    holder != nullptr ? 1.0 : 0.0));

    if (holder == nullptr) {
        result.state = CheckState::critical;
        result.summary = "the live master secret " + live->msid + " has no verified backup";
        if (newest != nullptr)
            result.summary += " (the newest backup holds " + newest->current_msid + ")";
        if (live->source == "bridge") {
            result.summary += ": a secret was generated without a backup";
        } else {
            result.summary += ": its backup is missing or damaged";
        }
        result.fix = "Take a backup now: " + backup_command(input) +
                     ". Until then, losing the secret server loses every SSO credential.";
        return result;
    }
    if (newest != nullptr && holder != newest && normalize_msid(newest->current_msid) != current) {
        result.state = CheckState::warning;
        result.summary = "the secret server runs " + live->msid + ", backed up in " + holder->id +
                         ", but the newest backup " + newest->id + " holds " +
                         newest->current_msid + " (an older secret was restored?)";
        result.fix =
            "Confirm the secret server runs the intended master secret, then take a "
            "backup so the newest backup holds it: " +
            backup_command(input) + ".";
        return result;
    }
    ordered_json password;
    password["backup"] = holder->id;
    password["origin"] = holder->password;
    password["proven"] = holder->password_proven();
    if (holder->password_proof_seq != 0) {
        ordered_json proof;
        proof["audit_seq"] = holder->password_proof_seq;
        proof["time"] = vault::format_time(holder->password_proof_time);
        proof["node"] = holder->password_proof_node;
        password["proven_by"] = std::move(proof);
    } else {
        password["proven_by"] = nullptr;
    }
    result.evidence["password_of_live_backup"] = std::move(password);
    result.summary = "backup " + holder->id + " (" + vault::format_time(holder->created) +
                     ") holds the " + (live->source == "bridge" ? "live" : "newest recorded") +
                     " master secret " + live->msid;
    if (!holder->password_proven()) {
        // A typed password is only a person's memory until ENTSSO has accepted it: a drill
        // decrypts and checks the .bak but never hands the password to ENTSSO.
        result.state = CheckState::warning;
        result.summary +=
            ", but its password is unproven (" +
            std::string(holder->password == "typed" ? "typed at import" : "origin unknown") +
            "; no restore has used it)";
        result.fix =
            "Prove the password with a restore that hands it to ENTSSO: a drill on a "
            "separate ENTSSO installation ('ssoescrow restore apply REQ --vault " +
            input.vault +
            " --approval ... --drill --drill-server --bridge CMD-of-the-drill-server', "
            "a request with --purpose restore), or restore backup " +
            holder->id +
            " on the live server, whose MSID it holds; or take a backup through the "
            "bridge: " +
            backup_command(input) + ".";
    }
    return result;
}

// --- drill-age -----------------------------------------------------------------------------------

CheckResult check_drill_age(const StatusInput& input) {
    CheckResult result = start("drill-age");
    const std::int64_t max_age = input.policy.max_drill_age;
    result.threshold = "warning " + vault::format_duration(max_age);
    result.metrics.push_back(metric("drill_age_warning_seconds",
                                    "Drill age above which status is WARNING (max-drill-age)",
                                    static_cast<double>(max_age)));
    // An extraction hands the .bak and its password out: it restores nothing, so it is no drill.
    std::size_t drills = 0;
    const vault::RestoreReceipt* newest = nullptr;
    for (const auto& r : input.drills) {
        if (r.extraction())
            continue;
        ++drills;
        if (newest == nullptr || r.time >= newest->time)
            newest = &r;
    }
    result.metrics.push_back(metric("drills_recorded", "Restore drills and restores recorded",
                                    static_cast<double>(drills)));
    result.evidence["drills_recorded"] = drills;
    const std::string how = "ssoescrow restore request --vault " + input.vault +
                            ", approvals by the custodians, then restore apply --drill";
    if (newest == nullptr) {
        result.state = CheckState::warning;
        result.summary = "no restore drill recorded: nobody has proved the backups restore";
        result.observed = "never";
        result.fix = "Run a restore drill: " + how + ".";
        return result;
    }
    ordered_json drill;
    drill["kind"] = newest->drill ? "drill" : "restore";
    drill["time"] = vault::format_time(newest->time);
    drill["node"] = newest->node;
    drill["msid"] = msid_or_null(newest->msid);
    drill["backup"] = newest->backup_id;
    drill["request"] = newest->request_id;
    drill["custodians"] = newest->custodians.size();
    drill["audit_seq"] = newest->seq;
    result.evidence["newest"] = std::move(drill);
    if (newest->time > input.now + k_tolerance) {
        result.state = CheckState::unknown;
        result.summary = "newest drill is dated " + vault::format_time(newest->time) +
                         ", in the future: its age cannot be trusted";
        result.observed = "in the future";
        result.fix = "Correct the clock (see clock-sanity), then run a restore drill: " + how + ".";
        return result;
    }
    const std::int64_t age = age_at(input.now, newest->time);
    result.observed = human_duration(age);
    result.evidence["age_seconds"] = age;
    result.metrics.push_back(
        perf(metric("drill_age_seconds", "Age of the newest restore drill or restore",
                    static_cast<double>(age)),
             "drill_age", "s", alert_above(max_age)));
    const std::string what = std::string(newest->drill ? "drill" : "restore") + " of backup " +
                             newest->backup_id + " on " + newest->node + " is " +
                             human_duration(age) + " old (" + vault::format_time(newest->time) +
                             ")";
    if (age > max_age) {
        result.state = CheckState::warning;
        result.summary =
            "newest " + what + ", over max-drill-age " + vault::format_duration(max_age);
        result.fix = "Run a restore drill: " + how + ".";
    } else {
        result.summary = "newest " + what;
    }
    return result;
}

// --- retention -----------------------------------------------------------------------------------

CheckResult check_retention(const StatusInput& input) {
    CheckResult result = start("retention");
    const auto& policy = input.policy;
    std::vector<const StatusBackup*> usable;
    UnixTime first_created = 0;
    for (const StatusBackup& b : input.backups) {
        if (b.usable)
            usable.push_back(&b);
        if (first_created == 0 || b.created < first_created)
            first_created = b.created;
    }
    const std::uint64_t required_count =
        std::min<std::uint64_t>(policy.min_retained, input.backups.size());
    const std::int64_t history = input.backups.empty() ? 0 : age_at(input.now, first_created);
    // A daily job kept 35 days spans 34-and-a-bit days: allow one backup interval of slack.
    const std::int64_t required_reach =
        std::max<std::int64_t>(0, std::min(policy.min_retention, history) - policy.max_backup_age);
    UnixTime oldest = 0;
    for (const StatusBackup* b : usable) {
        if (oldest == 0 || b->created < oldest)
            oldest = b->created;
    }
    const std::int64_t reach = usable.empty() ? 0 : age_at(input.now, oldest);

    result.threshold = "at least " + std::to_string(policy.min_retained) +
                       " verified backups (min-retained) reaching back " +
                       vault::format_duration(policy.min_retention) +
                       " (min-retention), less one backup interval; capped by the vault's history";
    result.observed = std::to_string(usable.size()) + " verified over " + human_duration(reach);
    result.evidence["verified"] = usable.size();
    result.evidence["recorded"] = input.backups.size();
    result.evidence["required_count"] = required_count;
    result.evidence["reach_seconds"] = reach;
    result.evidence["required_reach_seconds"] = required_reach;
    result.evidence["oldest_verified"] =
        usable.empty() ? ordered_json(nullptr) : ordered_json(vault::format_time(oldest));
    result.evidence["first_backup"] = input.backups.empty()
                                          ? ordered_json(nullptr)
                                          : ordered_json(vault::format_time(first_created));
    result.metrics.push_back(perf(
        metric("backups_retained", "Verified backups retained", static_cast<double>(usable.size())),
        "retained", "", alert_below(static_cast<std::int64_t>(required_count))));
    result.metrics.push_back(metric("backups_retained_required",
                                    "Verified backups required (min-retained, capped by history)",
                                    static_cast<double>(required_count)));
    result.metrics.push_back(metric("retention_span_seconds", "Age of the oldest verified backup",
                                    static_cast<double>(reach)));
    result.metrics.push_back(metric("retention_required_seconds",
                                    "Age the oldest verified backup must reach",
                                    static_cast<double>(required_reach)));
    if (input.backups.empty()) {
        result.state = CheckState::not_applicable;
        result.summary = "no backup recorded yet";
        return result;
    }
    std::vector<std::string> problems;
    if (usable.size() < required_count) {
        problems.push_back("only " + std::to_string(usable.size()) +
                           " verified backups, at least " + std::to_string(required_count) +
                           " expected");
    }
    if (reach < required_reach) {
        problems.push_back("the oldest verified backup is " + human_duration(reach) + " old, " +
                           human_duration(required_reach) + " expected");
    }
    std::vector<std::string> unusable;
    for (const StatusBackup& b : input.backups) {
        if (!b.usable && b.state != "pruned")
            unusable.push_back(b.id + " (" + b.state + ")");
    }
    result.evidence["unusable"] = unusable;
    if (problems.empty()) {
        result.summary = std::to_string(usable.size()) + " verified backups reaching back " +
                         human_duration(reach);
        return result;
    }
    result.state = CheckState::warning;
    result.summary = join(problems, "; ");
    result.fix =
        "Check that the backup job runs daily and that nobody pruned or deleted backups "
        "(ssoescrow vault list / vault check --vault " +
        input.vault + "); retention recovers as new backups are taken.";
    return result;
}

// --- cluster-coverage ----------------------------------------------------------------------------

CheckResult check_cluster_coverage(const StatusInput& input) {
    CheckResult result = start("cluster-coverage");
    result.threshold = "every possible owner of the SSO cluster group holds the current MSID";
    const std::vector<RestoreReceipt> receipts = node_receipts(input.records);
    auto holders_of = [&](const std::string& msid) {
        std::vector<std::string> nodes;
        for (const RestoreReceipt& r : receipts) {
            if (normalize_msid(r.msid) == normalize_msid(msid) &&
                std::find(nodes.begin(), nodes.end(), r.node) == nodes.end())
                nodes.push_back(r.node);
        }
        return nodes;
    };
    if (!input.bridge_given) {
        result.state = CheckState::not_applicable;
        result.summary = input.as_of ? "as-of report: the cluster's possible owners at that time "
                                       "are not recorded"
                                     : "no --bridge: the possible owners of the SSO cluster group "
                                       "are unknown";
        result.observed = "not checked";
        if (auto recorded = newest_recorded_msid(input)) {
            result.evidence["msid"] = msid_or_null(recorded->msid);
            result.evidence["machines_holding_it"] = holders_of(recorded->msid);
        }
        return result;
    }
    if (!input.live) {
        result.state = CheckState::unknown;
        result.summary = "the SSO bridge status call failed: " + input.live_error;
        result.observed = "unknown";
        result.fix = "Check the --bridge command on this machine (run it with 'status').";
        return result;
    }
    const bridge::ServerStatus& s = *input.live;
    if (!s.cluster) {
        result.state = CheckState::not_applicable;
        result.summary = "standalone secret server " + s.computer + ": no cluster group";
        result.observed = "standalone";
        return result;
    }
    const bridge::ClusterInfo& cluster = *s.cluster;
    std::string msid;
    if (s.is_secret_server && s.current_msid) {
        msid = *s.current_msid;
        result.evidence["msid_source"] = "bridge";
    } else if (auto recorded = newest_recorded_msid(input)) {
        msid = recorded->msid;
        result.evidence["msid_source"] = "vault";
    }
    result.evidence["cluster"] = cluster.name;
    result.evidence["group"] = cluster.group;
    result.evidence["owner_node"] = cluster.owner_node;
    result.evidence["possible_owners"] = cluster.possible_owners;
    result.evidence["msid"] = msid_or_null(msid);
    if (msid.empty() || cluster.possible_owners.empty()) {
        result.state = CheckState::unknown;
        result.summary = msid.empty()
                             ? "the current MSID is not known"
                             : "the cluster reports no possible owner of group " + cluster.group;
        result.observed = "unknown";
        result.fix = "Run status with a bridge on the node that owns the SSO group.";
        return result;
    }
    const ClusterCoverage coverage =
        compute_cluster_coverage(cluster.possible_owners, msid, receipts);
    ordered_json nodes = ordered_json::array();
    for (const NodeCoverage& node : coverage.nodes) {
        ordered_json j;
        j["node"] = node.node;
        j["covered"] = node.covered;
        j["evidence"] = node.evidence ? receipt_json(*node.evidence) : ordered_json(nullptr);
        nodes.push_back(std::move(j));
    }
    result.evidence["nodes"] = std::move(nodes);
    result.evidence["missing"] = coverage.missing;
    result.observed = std::to_string(coverage.covered.size()) + " of " +
                      std::to_string(coverage.nodes.size()) + " nodes";
    result.metrics.push_back(
        perf(metric("cluster_nodes", "Possible owner nodes of the SSO cluster group",
                    static_cast<double>(coverage.nodes.size())),
             "cluster_nodes", ""));
    result.metrics.push_back(perf(
        metric("cluster_nodes_missing_secret", "Possible owners without the current master secret",
               static_cast<double>(coverage.missing.size())),
        "nodes_missing", "", "", alert_above(0)));
    if (coverage.complete()) {
        result.summary = "all " + std::to_string(coverage.nodes.size()) +
                         " possible owners of group " + cluster.group + " hold " + msid;
        return result;
    }
    result.state = CheckState::critical;
    result.summary =
        "node" + std::string(coverage.missing.size() == 1 ? " " : "s ") + join(coverage.missing) +
        " of group " + cluster.group + (coverage.missing.size() == 1 ? " holds" : " hold") +
        " no receipt for the current master secret " + msid + ": a failover there stops SSO";
    result.fix =
        "On each node named: move the SSO group to it, then restore the newest backup "
        "there (ssoescrow restore apply ... --bridge on that node), which records a "
        "receipt; fail back afterwards.";
    return result;
}

// --- escrow-health -------------------------------------------------------------------------------

namespace {

// The custodians of the current policy, with what the audit log says about each.
ordered_json custodians_json(const StatusInput& input, const vault::CustodianRoster& roster) {
    ordered_json custodians = ordered_json::array();
    for (std::size_t i = 0; i < input.recipients.size(); ++i) {
        const vault::CustodianHistory* history = roster.find(input.recipients[i]);
        ordered_json j;
        j["fingerprint"] = input.recipients[i];
        j["label"] = i < input.recipient_labels.size() ? input.recipient_labels[i] : "";
        const bool known = history != nullptr && history->in_policy_since;
        j["in_policy_since"] =
            known ? ordered_json(vault::format_time(*history->in_policy_since)) : nullptr;
        j["key_age_seconds"] =
            known ? ordered_json(age_at(input.now, *history->in_policy_since)) : nullptr;
        if (history != nullptr && history->departed) {
            const vault::Departure& d = *history->departed;
            ordered_json departed;
            departed["time"] = vault::format_time(d.time);
            departed["actor"] = d.actor;
            departed["reason"] = d.reason;
            departed["audit_seq"] = d.seq;
            j["departed"] = std::move(departed);
        } else {
            j["departed"] = nullptr;
        }
        custodians.push_back(std::move(j));
    }
    return custodians;
}

std::string label_of(const StatusInput& input, const std::string& fingerprint) {
    for (std::size_t i = 0; i < input.recipients.size() && i < input.recipient_labels.size(); ++i) {
        if (input.recipients[i] == fingerprint)
            return input.recipient_labels[i] + " (" + fingerprint + ")";
    }
    return fingerprint;
}

std::vector<std::string> departed_among(const std::vector<std::string>& fingerprints,
                                        const vault::CustodianRoster& roster) {
    std::vector<std::string> out;
    for (const std::string& fp : fingerprints) {
        if (roster.is_departed(fp))
            out.push_back(fp);
    }
    return out;
}

// The rekey ceremony moves every retained backup to a policy without the departed; only a new
// master secret (rotate) makes the shares they hold of copies made before worthless.
std::string move_escrow_fix(const StatusInput& input) {
    if (input.rekey_awaiting) {
        return "A rekey ceremony (request " + input.rekey_awaiting->request +
               ") awaits proof from the new custodians until " +
               vault::format_time(input.rekey_awaiting->expires) +
               ": each runs 'ssoescrow rekey prove RKREQ --vault " + input.vault +
               " --identity NAME.key --out NAME.rkproof', then 'ssoescrow rekey apply RKREQ "
               "--vault " +
               input.vault +
               " --proof ...' commits it; re-pin backup hosts with the new policy "
               "(--expect-policy), then run 'ssoescrow rotate'.";
    }
    return "Rekey: 'ssoescrow rekey request --vault " + input.vault +
           " --remove <departed> [--add NEW.pub] --out RKREQ', K custodians still here run "
           "'ssoescrow rekey approve RKREQ', then 'ssoescrow rekey apply RKREQ --vault " +
           input.vault +
           " --approval ...'; re-pin backup hosts with the new policy (--expect-policy), then run "
           "'ssoescrow rotate' so that copies of old envelopes hold a master secret that is no "
           "longer the live one.";
}

}  // namespace

CheckResult check_escrow_health(const StatusInput& input) {
    CheckResult result = start("escrow-health");
    const vault::CustodianRoster roster = vault::custodian_roster(input.records);
    const std::size_t n = input.recipients.size();
    const unsigned k = input.threshold;
    const std::size_t present = roster.count_present(input.recipients);
    const std::int64_t max_key_age = input.policy.effective_max_key_age();
    result.observed = std::to_string(k) + " of " + std::to_string(n) + " custodians";
    if (present < n)
        result.observed += ", " + std::to_string(present) + " still here";
    result.threshold =
        "more custodians than the threshold, none departed; no retained backup "
        "sealed to a departed custodian; newest backup sealed to the current "
        "policy; keys in the policy at most " +
        vault::format_duration(max_key_age) + " (max-key-age)";
    result.metrics.push_back(
        metric("custodians", "Recipients of the vault's escrow policy", static_cast<double>(n)));
    result.metrics.push_back(metric("custodian_threshold", "Custodians needed to open a backup (K)",
                                    static_cast<double>(k)));
    result.metrics.push_back(metric("custodians_departed",
                                    "Recipients of the escrow policy marked departed",
                                    static_cast<double>(n - present)));
    result.evidence["policy"] = input.policy_fingerprint;
    result.evidence["threshold"] = k;
    result.evidence["max_key_age"] = vault::format_duration(max_key_age);
    result.evidence["custodians"] = custodians_json(input, roster);
    if (input.rekey_awaiting) {
        result.evidence["rekey_awaiting_proof"] = {
            {"request", input.rekey_awaiting->request},
            {"expires", vault::format_time(input.rekey_awaiting->expires)}};
    }

    std::vector<std::string> problems;
    std::vector<std::string> fixes;
    CheckState state = CheckState::ok;
    auto flag = [&](CheckState level, std::string problem, std::string fix) {
        state = worse(state, level);
        problems.push_back(std::move(problem));
        if (!fix.empty() && std::find(fixes.begin(), fixes.end(), fix) == fixes.end())
            fixes.push_back(std::move(fix));
    };

    // Departures in the current policy.
    const std::vector<std::string> departed_now = departed_among(input.recipients, roster);
    std::vector<std::string> departed_names;
    for (const std::string& fp : departed_now)
        departed_names.push_back(label_of(input, fp));
    if (present < k) {
        flag(CheckState::critical,
             "only " + std::to_string(present) + " of the " + std::to_string(n) + " custodians " +
                 (present == 1 ? "is" : "are") + " still here (threshold " + std::to_string(k) +
                 "): every backup sealed to this policy needs a departed custodian's key",
             move_escrow_fix(input));
    } else if (!departed_now.empty()) {
        flag(CheckState::warning,
             "the current policy still seals every new backup to departed custodian" +
                 std::string(departed_now.size() > 1 ? "s " : " ") + join(departed_names) +
                 " (rekey needed)",
             move_escrow_fix(input));
    }
    if (present == k && k > 0) {
        flag(CheckState::warning,
             "every one of the " + std::to_string(present) + " custodians" +
                 (present < n ? " still here" : "") + " is needed (threshold " + std::to_string(k) +
                 "): one lost key loses every backup",
             "Add at least one custodian beyond the threshold (the rekey ceremony: "
             "'ssoescrow rekey request --add NEW.pub').");
    }

    // Retained backups holding a departed custodian's share.
    ordered_json sealed_to_departed = ordered_json::array();
    std::set<std::string> departed_with_share;
    const StatusBackup* newest = newest_usable(input.backups);
    for (const StatusBackup& b : input.backups) {
        if (!b.usable)
            continue;
        const std::vector<std::string> departed = departed_among(b.custodians, roster);
        if (departed.empty())
            continue;
        departed_with_share.insert(departed.begin(), departed.end());
        const std::size_t remaining = b.custodians.size() - departed.size();
        ordered_json j = backup_json(b);
        j["threshold"] = b.threshold;
        j["departed_custodians"] = departed;
        j["custodians_still_here"] = remaining;
        j["openable_without_departed"] = remaining >= b.threshold;
        sealed_to_departed.push_back(std::move(j));
        if (&b == newest && remaining < b.threshold) {
            flag(CheckState::critical,
                 "the newest backup " + b.id + " cannot be opened without a departed custodian (" +
                     std::to_string(remaining) + " of the " + std::to_string(b.threshold) +
                     " needed " + (remaining == 1 ? "is" : "are") + " still here)",
                 move_escrow_fix(input));
        }
    }
    result.evidence["backups_sealed_to_departed"] = sealed_to_departed;
    result.metrics.push_back(metric("backups_sealed_to_departed",
                                    "Verified backups holding a share of a departed custodian",
                                    static_cast<double>(sealed_to_departed.size())));
    if (!sealed_to_departed.empty()) {
        std::vector<std::string> names;
        for (const std::string& fp : departed_with_share)
            names.push_back(label_of(input, fp));
        flag(CheckState::warning,
             std::to_string(sealed_to_departed.size()) + " retained backup" +
                 (sealed_to_departed.size() > 1 ? "s are" : " is") +
                 " sealed to departed custodian" + (names.size() > 1 ? "s " : " ") + join(names) +
                 " (rekey needed)",
             move_escrow_fix(input));
    }

    // Key age: how long each key still here has been in the vault's policies.
    std::int64_t oldest_key = 0;
    std::vector<std::string> old_keys;
    for (const std::string& fp : input.recipients) {
        const vault::CustodianHistory* history = roster.find(fp);
        if (history == nullptr || !history->in_policy_since || history->departed)
            continue;
        const std::int64_t age = age_at(input.now, *history->in_policy_since);
        oldest_key = std::max(oldest_key, age);
        if (age > max_key_age)
            old_keys.push_back(label_of(input, fp) + " for " + human_duration(age));
    }
    result.metrics.push_back(metric("custodian_key_age_max_seconds",
                                    "Longest time a present custodian's key has been in the "
                                    "vault's escrow policies",
                                    static_cast<double>(oldest_key)));
    result.metrics.push_back(metric("custodian_key_age_limit_seconds",
                                    "max-key-age: a key in the policy longer is a warning",
                                    static_cast<double>(max_key_age)));
    if (!old_keys.empty()) {
        flag(CheckState::warning,
             "key" + std::string(old_keys.size() > 1 ? "s" : "") + " in the policy longer than " +
                 vault::format_duration(max_key_age) + " (max-key-age): " + join(old_keys),
             "Renew the keys: each custodian concerned runs 'ssoescrow custodian keygen' for a new "
             "key; then move the escrow to a vault with the new keys (vault init --vault NEW, "
             "then 'ssoescrow rotate --vault NEW --bridge \"...\"').");
    }

    std::size_t other_policy = 0;
    for (const StatusBackup& b : input.backups) {
        if (b.usable && b.policy != input.policy_fingerprint)
            ++other_policy;
    }
    result.evidence["backups_sealed_to_other_policies"] = other_policy;
    result.metrics.push_back(metric("backups_other_policy",
                                    "Verified backups sealed to an earlier escrow policy",
                                    static_cast<double>(other_policy)));
    if (newest != nullptr && newest->policy != input.policy_fingerprint) {
        flag(CheckState::warning,
             "the newest backup " + newest->id + " is sealed to " + newest->policy +
                 ", not the current policy",
             "Take a backup now so the newest backup is sealed to the current custodians: " +
                 backup_command(input) + ".");
    }

    if (problems.empty()) {
        result.summary = std::to_string(k) + " of " + std::to_string(n) + " custodians needed" +
                         (newest != nullptr ? "; newest backup sealed to the current policy"
                                            : "; no backup sealed yet");
        return result;
    }
    result.state = state;
    result.summary = join(problems, "; ");
    result.fix = join(fixes, " ");
    return result;
}

// --- vault-integrity -----------------------------------------------------------------------------

CheckResult check_vault_integrity(const StatusInput& input) {
    CheckResult result = start("vault-integrity");
    result.threshold = "no damage, no warning (vault check)";
    if (!input.integrity_checked) {
        result.state = CheckState::unknown;
        result.summary = "the vault could not be checked";
        result.observed = "unknown";
        result.fix = "Run ssoescrow vault check --vault " + input.vault + " and read its error.";
        return result;
    }
    ordered_json findings = ordered_json::array();
    std::vector<std::string> damage, warnings, codes;
    for (const vault::Finding& f : input.integrity) {
        if (is_clock_finding(f))
            continue;  // clock-sanity reports them
        ordered_json j;
        j["severity"] = std::string(vault::severity_name(f.severity));
        j["code"] = f.code;
        j["file"] = f.file;
        j["message"] = f.message;
        findings.push_back(std::move(j));
        // A live writer lock is a backup in progress, not a problem of the vault.
        if (f.code == "lock-held")
            continue;
        const std::string item = f.code + (f.file.empty() ? "" : " " + f.file);
        if (f.severity == vault::Severity::damaged) {
            damage.push_back(item);
        } else {
            warnings.push_back(item);
        }
    }
    result.evidence["findings"] = std::move(findings);
    if (input.as_of)
        result.evidence["note"] = "checked as the vault is now, not as of the report time";
    result.observed = std::to_string(damage.size()) + " damaged, " +
                      std::to_string(warnings.size()) + " warnings";
    result.metrics.push_back(metric("vault_damage_findings", "Damage findings of vault check",
                                    static_cast<double>(damage.size())));
    result.metrics.push_back(metric("vault_warning_findings", "Warning findings of vault check",
                                    static_cast<double>(warnings.size())));
    const std::string check_cmd = "ssoescrow vault check --vault " + input.vault;
    if (!damage.empty()) {
        result.state = CheckState::critical;
        result.summary = "vault damaged: " + join(damage, "; ");
        result.fix = "Run '" + check_cmd +
                     "' for details; recover the named files from a copy of the vault, and do "
                     "not prune until the check is clean.";
    } else if (!warnings.empty()) {
        result.state = CheckState::warning;
        result.summary = "vault check warnings: " + join(warnings, "; ");
        result.fix = "Run '" + check_cmd +
                     "' for details (a later prune adopts orphans and "
                     "finishes interrupted prunes).";
    } else {
        // The chain as it is now: in an as-of report more records may follow the visible ones.
        const std::size_t records = std::max(input.chain_records, input.records.size());
        result.summary = "vault check clean (structure, envelopes, audit chain of " +
                         std::to_string(records) + (records == 1 ? " record" : " records") +
                         (input.as_of ? ", as the vault is now)" : ")");
    }
    return result;
}

// --- clock-sanity --------------------------------------------------------------------------------

CheckResult check_clock_sanity(const StatusInput& input) {
    CheckResult result = start("clock-sanity");
    result.threshold = "no timestamp more than " + human_duration(k_tolerance) +
                       " ahead of this machine's clock; no clock stepped back";
    result.evidence["clock"] = vault::format_time(input.wall_now);
    std::vector<std::string> future, backwards;
    ordered_json findings = ordered_json::array();
    if (input.vault_created > input.wall_now + k_tolerance)
        future.push_back("config (created " + vault::format_time(input.vault_created) + ")");
    for (const vault::Finding& f : input.integrity) {
        if (!is_clock_finding(f))
            continue;
        ordered_json j;
        j["code"] = f.code;
        j["file"] = f.file;
        j["message"] = f.message;
        findings.push_back(std::move(j));
        (f.code == "time-in-future" ? future : backwards).push_back(f.file);
    }
    result.evidence["findings"] = std::move(findings);
    result.metrics.push_back(metric("future_timestamps",
                                    "Vault timestamps ahead of this machine's clock",
                                    static_cast<double>(future.size())));
    result.observed = std::to_string(future.size()) + " in the future, " +
                      std::to_string(backwards.size()) + " backwards";
    if (!input.integrity_checked) {
        result.state = CheckState::unknown;
        result.summary = "the vault could not be read";
        return result;
    }
    if (future.empty() && backwards.empty()) {
        result.summary = "no timestamp in the future, none out of order";
        return result;
    }
    result.state = CheckState::warning;
    std::vector<std::string> parts;
    if (!future.empty())
        parts.push_back(std::to_string(future.size()) +
                        " timestamp(s) in the future: " + join(future));
    if (!backwards.empty())
        parts.push_back(std::to_string(backwards.size()) +
                        " record(s) dated before the one preceding it (clock stepped back): " +
                        join(backwards));
    result.summary = join(parts, "; ") + " (ages are never negative; future ones are not trusted)";
    result.fix =
        "Synchronise the clocks of the backup host and this machine (w32tm /resync, "
        "chronyc makestep); records already written keep their times.";
    return result;
}

std::vector<CheckResult> run_checks(const StatusInput& input) {
    return {check_backup_age(input),      check_msid_current(input),     check_drill_age(input),
            check_retention(input),       check_cluster_coverage(input), check_escrow_health(input),
            check_vault_integrity(input), check_clock_sanity(input)};
}

}  // namespace ssoescrow::freshness
