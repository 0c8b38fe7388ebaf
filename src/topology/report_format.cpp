#include "src/topology/report_format.hpp"

#include <nlohmann/json.hpp>

#include <sstream>

namespace ssoescrow::topology {

namespace {

using ordered_json = nlohmann::ordered_json;

struct Counts {
    int ok = 0;
    int failed = 0;
    int not_applicable = 0;
};

Counts count_rules(const Report& report) {
    Counts counts;
    for (const auto& result : report.results) {
        switch (result.status) {
            case RuleStatus::ok:
                ++counts.ok;
                break;
            case RuleStatus::not_applicable:
                ++counts.not_applicable;
                break;
            case RuleStatus::warning:
            case RuleStatus::critical:
                ++counts.failed;
                break;
        }
    }
    return counts;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 32);
    }
    return out;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty())
            out += ", ";
        out += item;
    }
    return out;
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
    return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

void write_evidence(std::ostream& out, const Evidence& evidence) {
    out << "  evidence:\n";
    auto line = [&](std::string_view label, const std::vector<std::string>& items) {
        if (!items.empty())
            out << "    " << label << ": " << join(items) << '\n';
    };
    line("nodes", evidence.nodes);
    line("groups", evidence.groups);
    line("resources", evidence.resources);
    line("hosts", evidence.hosts);
    std::vector<std::string> instances;
    for (const auto& instance : evidence.host_instances) {
        instances.push_back(instance.host + " on " + instance.server);
    }
    line("host instances", instances);
    line("servers", evidence.servers);
    line("SQL instances", evidence.sql_instances);
    for (const auto& fact : evidence.facts)
        out << "    " << fact << '\n';
}

ordered_json evidence_json(const Evidence& evidence) {
    ordered_json instances = ordered_json::array();
    for (const auto& instance : evidence.host_instances) {
        ordered_json item;
        item["host"] = instance.host;
        item["server"] = instance.server;
        instances.push_back(std::move(item));
    }
    ordered_json out;
    out["nodes"] = evidence.nodes;
    out["groups"] = evidence.groups;
    out["resources"] = evidence.resources;
    out["hosts"] = evidence.hosts;
    out["host_instances"] = std::move(instances);
    out["servers"] = evidence.servers;
    out["sql_instances"] = evidence.sql_instances;
    out["facts"] = evidence.facts;
    return out;
}

}  // namespace

std::string format_report_text(const Inventory& inventory, const Report& report) {
    std::ostringstream out;
    const Counts counts = count_rules(report);
    out << "TOPOLOGY " << upper(to_string(report.overall())) << " - "
        << plural(static_cast<std::size_t>(report.critical_count()), "critical finding",
                  "critical findings")
        << ", " << plural(static_cast<std::size_t>(report.warning_count()), "warning", "warnings")
        << "; " << counts.ok << " of " << report.results.size() << " rules ok, "
        << counts.not_applicable << " not applicable\n";

    out << "inventory: collected " << inventory.collected_at << "; ";
    if (inventory.cluster) {
        out << "cluster '" << inventory.cluster->name << "' ("
            << plural(inventory.cluster->nodes.size(), "node", "nodes") << ", "
            << plural(inventory.cluster->groups.size(), "group", "groups") << ", "
            << plural(inventory.cluster->resources.size(), "resource", "resources") << ")";
    } else {
        out << "no cluster";
    }
    out << "; BizTalk group '" << inventory.biztalk.group << "' ("
        << plural(inventory.biztalk.servers.size(), "server", "servers") << ", "
        << plural(inventory.biztalk.hosts.size(), "host", "hosts") << ", "
        << plural(inventory.biztalk.host_instances.size(), "host instance", "host instances")
        << "); SSO secret server '" << inventory.sso.secret_server << "'\n";

    for (const auto& result : report.results) {
        if (result.findings.empty())
            continue;
        const ChecklistRow& row = checklist_row(result.rule->checklist_row);
        for (const auto& finding : result.findings) {
            out << '\n'
                << upper(to_string(finding.severity)) << " " << result.rule->id << ": "
                << finding.message << '\n';
            write_evidence(out, finding.evidence);
            out << "  fix: " << finding.fix << '\n';
            out << "  checklist row " << row.row << ": " << row.step << '\n';
        }
    }

    auto list = [&](RuleStatus status, std::string_view heading) {
        bool first = true;
        for (const auto& result : report.results) {
            if (result.status != status)
                continue;
            if (first)
                out << '\n' << heading << '\n';
            first = false;
            out << "  " << result.rule->id << ": " << result.note << '\n';
        }
    };
    list(RuleStatus::ok, "passed:");
    list(RuleStatus::not_applicable, "not applicable:");
    return out.str();
}

std::string format_report_json(const Inventory& inventory, const Report& report) {
    const Counts counts = count_rules(report);
    ordered_json root;
    root["schema"] = k_report_schema;
    root["status"] = to_string(report.overall());
    root["exit_code"] = report.exit_code();

    ordered_json summary;
    summary["critical"] = report.critical_count();
    summary["warning"] = report.warning_count();
    summary["rules_ok"] = counts.ok;
    summary["rules_failed"] = counts.failed;
    summary["rules_not_applicable"] = counts.not_applicable;
    root["summary"] = std::move(summary);

    ordered_json source;
    source["schema"] = k_inventory_schema;
    source["collected_at"] = inventory.collected_at;
    source["cluster"] =
        inventory.cluster ? ordered_json(inventory.cluster->name) : ordered_json(nullptr);
    source["biztalk_group"] = inventory.biztalk.group;
    source["sso_secret_server"] = inventory.sso.secret_server;
    root["inventory"] = std::move(source);

    ordered_json rules = ordered_json::array();
    for (const auto& result : report.results) {
        ordered_json rule;
        rule["id"] = result.rule->id;
        rule["title"] = result.rule->title;
        rule["status"] = to_string(result.status);
        rule["severity"] = to_string(result.rule->severity);
        rule["note"] = result.note;
        const ChecklistRow& row = checklist_row(result.rule->checklist_row);
        ordered_json checklist;
        checklist["row"] = row.row;
        checklist["step"] = row.step;
        rule["checklist"] = std::move(checklist);
        ordered_json findings = ordered_json::array();
        for (const auto& finding : result.findings) {
            ordered_json item;
            item["severity"] = to_string(finding.severity);
            item["message"] = finding.message;
            item["evidence"] = evidence_json(finding.evidence);
            item["fix"] = finding.fix;
            findings.push_back(std::move(item));
        }
        rule["findings"] = std::move(findings);
        rules.push_back(std::move(rule));
    }
    root["rules"] = std::move(rules);
    return root.dump(2) + "\n";
}

}  // namespace ssoescrow::topology
