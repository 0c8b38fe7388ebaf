#include "src/topology/vault_rule.hpp"

#include <chrono>
#include <cstdio>

#include "src/topology/names.hpp"

namespace ssoescrow::topology {

namespace {

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) {
        if (!out.empty())
            out += ", ";
        out += "'" + name + "'";
    }
    return out;
}

std::string format_receipt(const freshness::RestoreReceipt& r) {
    // Calendar arithmetic of <chrono> (UTC, no time zone database, no system call).
    const auto day = std::chrono::floor<std::chrono::days>(r.time);
    const std::chrono::year_month_day date(day);
    const std::chrono::hh_mm_ss time(r.time - day);
    char when[48];
    std::snprintf(when, sizeof when, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    return std::string(when) + ", backup " + r.backup_id;
}

}  // namespace

const RuleInfo& nodes_hold_secret_rule() {
    static const RuleInfo rule{
        "TOPO-SSO-NODES-HOLD-SECRET",
        "every possible owner of clustered ENTSSO holds the vault's current master secret (a "
        "restore receipt or a backup taken there)",
        Severity::critical, 9};
    return rule;
}

RuleResult rule_nodes_hold_secret(const Inventory& inventory, const VaultSecret& secret) {
    RuleResult result{&nodes_hold_secret_rule(), RuleStatus::ok, {}, {}};
    std::vector<const ClusterResource*> sso;
    if (inventory.cluster) {
        for (const auto& resource : inventory.cluster->resources) {
            if (resource.service_name && same_name(*resource.service_name, "ENTSSO"))
                sso.push_back(&resource);
        }
    }
    if (sso.empty()) {
        result.status = RuleStatus::not_applicable;
        result.note = inventory.cluster
                          ? "no cluster resource runs the ENTSSO service: the secret lives on one "
                            "machine"
                          : "no cluster in this inventory: the secret lives on one machine";
        return result;
    }
    auto add = [&](std::string message, Evidence evidence, std::string fix) {
        result.findings.push_back(
            Finding{Severity::critical, std::move(message), std::move(evidence), std::move(fix)});
        result.status = RuleStatus::critical;
    };
    if (secret.msid.empty()) {
        Evidence evidence;
        evidence.facts.push_back("vault " + secret.vault +
                                 ": no verified backup with a known MSID");
        add("the vault " + secret.vault +
                " holds no verified backup of the master secret, so no node can be shown to hold "
                "it",
            std::move(evidence),
            "Take a backup on the master secret server (ssoescrow backup --vault " + secret.vault +
                " --bridge ...), then restore it on every possible owner node.");
        return result;
    }
    std::size_t nodes_checked = 0;
    for (const ClusterResource* resource : sso) {
        const freshness::ClusterCoverage coverage = freshness::compute_cluster_coverage(
            resource->possible_owners, secret.msid, secret.receipts);
        nodes_checked += coverage.nodes.size();
        if (coverage.complete())
            continue;
        Evidence evidence;
        evidence.nodes = coverage.missing;
        evidence.groups.push_back(resource->group);
        evidence.resources.push_back(resource->name);
        evidence.facts.push_back("current MSID " + secret.msid + " (backup " + secret.backup_id +
                                 ", created " + secret.backup_created + ", vault " + secret.vault +
                                 ")");
        for (const freshness::NodeCoverage& node : coverage.nodes) {
            std::string fact = node.node + ": ";
            if (node.covered) {
                fact += "holds it (" + format_receipt(*node.evidence) + ")";
            } else if (node.evidence) {
                fact += "last restored " + node.evidence->msid + " (" +
                        format_receipt(*node.evidence) + ")";
            } else {
                fact += "no restore receipt";
            }
            evidence.facts.push_back(std::move(fact));
        }
        add("possible owner node(s) " + join(coverage.missing) + " of group '" + resource->group +
                "' hold no receipt for the current master secret " + secret.msid +
                ": a failover to them stops SSO",
            std::move(evidence),
            "On each node named: move the SSO group to it, take the ENTSSO resource offline and "
            "online, and restore the newest backup there (ssoescrow restore apply ... --bridge on "
            "that node); then fail back.");
    }
    if (result.findings.empty()) {
        result.note = std::to_string(nodes_checked) + " possible owner node(s) hold " +
                      secret.msid + " (vault " + secret.vault + ")";
    }
    return result;
}

}  // namespace ssoescrow::topology
