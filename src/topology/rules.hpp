// The topology rules: what a BizTalk / ENTSSO high-availability set-up must look like, checked
// against an inventory (inventory.hpp). Facts and sources: reference/entsso-facts.md; the
// checklist rows are those of Microsoft's "Checklist: Providing High Availability with Fault
// Tolerance or Load Balancing" (numbered 1..10 in table order, see k_checklist_rows).
//
// Every rule is evaluated on every inventory and reports one of: ok, warning, critical (with one
// or more findings) or not_applicable (with a note saying why, e.g. no clustered ENTSSO). A
// finding says what is wrong, the evidence (nodes, groups, resources, hosts, host instances,
// servers, SQL instances involved, plus facts such as "UseNetworkName = 0"), and the fix.
//
// Rule ids (stable: monitoring and scripts match on them):
//   TOPO-SSO-HOSTS-CLUSTERED      critical  every host instance on a possible owner of a clustered
//                                           ENTSSO belongs to a host clustered in that same group
//   TOPO-SSO-ISOLATED-IIS         critical  isolated hosts there need clustered IIS (W3SVC) in it
//   TOPO-SSO-USE-NETWORK-NAME     critical  the ENTSSO generic service has UseNetworkName = 1
//   TOPO-SSO-SECRET-SERVER-NAME   critical  the secret server is the SSO group's network name,
//                                           never the cluster name or a node name
//   TOPO-SSO-MASTER-CLUSTERED     warning   the master secret server is clustered
//   TOPO-TRACKING-HOST-INSTANCES  warning   at least N+1 tracking host instances can run at once,
//                                           N = number of MessageBox databases
//   TOPO-HOST-REDUNDANCY          warning   every host is clustered or has enabled instances on
//                                           two or more servers
//   TOPO-SQL-PASSIVE-CAPACITY     warning   no two SQL instances each above 50 % of a node's CPU
//                                           (or each above 50 % of its memory)
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "src/topology/inventory.hpp"

namespace ssoescrow::topology {

enum class Severity { warning, critical };

enum class RuleStatus { ok, warning, critical, not_applicable };

struct ChecklistRow {
    int row;                // 1-based row of the HA checklist table
    std::string_view step;  // the step, as the checklist words it (shortened where marked)
};

struct RuleInfo {
    std::string_view id;
    std::string_view title;  // what the rule expects, in one line
    Severity severity;       // the severity of its findings
    int checklist_row;
};

struct InstanceRef {
    std::string host;
    std::string server;
};

struct Evidence {
    std::vector<std::string> nodes;
    std::vector<std::string> groups;
    std::vector<std::string> resources;
    std::vector<std::string> hosts;
    std::vector<InstanceRef> host_instances;
    std::vector<std::string> servers;
    std::vector<std::string> sql_instances;
    std::vector<std::string> facts;  // observed values, e.g. "UseNetworkName = 0"
};

struct Finding {
    Severity severity;
    std::string message;  // what is wrong, one sentence
    Evidence evidence;
    std::string fix;  // what to do, one or two sentences
};

struct RuleResult {
    const RuleInfo* rule;
    RuleStatus status;
    std::string note;  // why the rule did not apply, or what it checked when ok
    std::vector<Finding> findings;
};

struct Report {
    std::vector<RuleResult> results;  // one per rule, in the order of all_rules()

    int critical_count() const noexcept;
    int warning_count() const noexcept;
    RuleStatus overall() const noexcept;  // critical > warning > ok
    int exit_code() const noexcept;       // 0 OK, 1 WARNING, 2 CRITICAL (monitoring convention)
};

inline constexpr std::array<ChecklistRow, 10> k_checklist_rows{{
    {1,
     "Create multiple BizTalk host instances and implement host clustering support for those "
     "adapters that require it."},
    {2, "Configure tracking hosts for high availability."},
    {3,
     "Configure the BizTalk Server databases on a clustered SQL Server instance on a Windows "
     "server cluster."},
    {4,
     "Configure tracking hosts for high availability. Verify that there are at least N+1 host "
     "instances with tracking enabled where N is the number of MessageBox databases in the "
     "BizTalk group."},
    {5, "Practice database failover regularly to ensure failover functionality."},
    {6,
     "Verify there is enough processing power and memory on the passive cluster nodes to "
     "enable multiple SQL Server instances to run simultaneously in failover scenarios."},
    {7, "Implement a storage area network (SAN) to house the BizTalk Server databases."},
    {8,
     "Use Windows Clustering to cluster the Enterprise Single Sign-On (SSO) master secret "
     "server. Note: do not cluster the SSO service on a computer running BizTalk Server unless "
     "you cluster SSO and a BizTalk host in the same cluster group."},
    {9, "Back up the Enterprise Single Sign-On (SSO) Master Secret."},
    {10,
     "Configure the Internet Information Services (IIS) Web server for isolated host instances "
     "and the BAM Portal Web page to be highly available."},
}};

const ChecklistRow& checklist_row(int row);

// Every rule, in report order.
const std::vector<RuleInfo>& all_rules();

std::string_view to_string(Severity severity) noexcept;
std::string_view to_string(RuleStatus status) noexcept;

// Evaluates every rule against the inventory. Pure: no I/O, no clock.
Report check_topology(const Inventory& inventory);

}  // namespace ssoescrow::topology
