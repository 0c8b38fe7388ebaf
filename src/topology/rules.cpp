#include "src/topology/rules.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "src/exit_codes.hpp"
#include "src/topology/names.hpp"

namespace ssoescrow::topology {

namespace {

enum RuleIndex : std::size_t {
    k_hosts_clustered,
    k_isolated_iis,
    k_use_network_name,
    k_secret_server_name,
    k_master_clustered,
    k_tracking,
    k_host_redundancy,
    k_sql_capacity,
};

constexpr std::string_view k_entsso_service = "ENTSSO";
constexpr std::string_view k_iis_service = "W3SVC";
constexpr std::string_view k_host_service_prefix = "BTSSvc$";
constexpr std::string_view k_update_db_fix =
    "Run 'ssomanage -updatedb FILE.xml' whose <secretServer> is the network name of the SSO "
    "cluster group";

std::string q(std::string_view name) {
    return "'" + std::string(name) + "'";
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) {
        if (!out.empty())
            out += ", ";
        out += name;
    }
    return out;
}

std::string join_quoted(const std::vector<std::string>& names) {
    std::vector<std::string> quoted_names;
    for (const auto& name : names)
        quoted_names.push_back(q(name));
    return join(quoted_names);
}

void add_unique(std::vector<std::string>& list, const std::string& name) {
    if (std::none_of(list.begin(), list.end(),
                     [&](const std::string& known) { return same_name(known, name); })) {
        list.push_back(name);
    }
}

std::string percent(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.4g", value);
    return buffer;
}

bool runs_service(const ClusterResource& resource, std::string_view service) {
    return resource.service_name && same_name(*resource.service_name, service);
}

// What the inventory knows, indexed once for all rules.
class Context {
  public:
    explicit Context(const Inventory& inventory) : m_inventory(inventory) {
        if (inventory.cluster) {
            for (const auto& resource : inventory.cluster->resources) {
                if (runs_service(resource, k_entsso_service))
                    m_sso_resources.push_back(&resource);
            }
        }
    }

    const Inventory& inventory() const noexcept { return m_inventory; }
    const std::vector<const ClusterResource*>& sso_resources() const noexcept {
        return m_sso_resources;
    }

    const BizTalkHost* host(std::string_view name) const {
        for (const auto& host : m_inventory.biztalk.hosts) {
            if (same_name(host.name, name))
                return &host;
        }
        return nullptr;
    }

    // The resource in `group` that runs `service`, if any.
    const ClusterResource* service_in_group(std::string_view group,
                                            std::string_view service) const {
        if (!m_inventory.cluster)
            return nullptr;
        for (const auto& resource : m_inventory.cluster->resources) {
            if (same_name(resource.group, group) && runs_service(resource, service)) {
                return &resource;
            }
        }
        return nullptr;
    }

    std::vector<const ClusterResource*> network_names_in_group(std::string_view group) const {
        std::vector<const ClusterResource*> found;
        if (!m_inventory.cluster)
            return found;
        for (const auto& resource : m_inventory.cluster->resources) {
            if (resource.network_name && same_name(resource.group, group)) {
                found.push_back(&resource);
            }
        }
        return found;
    }

    bool is_sso_group(std::string_view group) const {
        return std::any_of(
            m_sso_resources.begin(), m_sso_resources.end(),
            [&](const ClusterResource* sso) { return same_name(sso->group, group); });
    }

    static bool is_possible_owner(const ClusterResource& resource, std::string_view server) {
        return std::any_of(resource.possible_owners.begin(), resource.possible_owners.end(),
                           [&](const std::string& owner) { return same_machine(owner, server); });
    }

    // Instances whose server can own `resource`.
    std::vector<const HostInstance*> instances_on_owners(const ClusterResource& resource) const {
        std::vector<const HostInstance*> found;
        for (const auto& instance : m_inventory.biztalk.host_instances) {
            if (is_possible_owner(resource, instance.server))
                found.push_back(&instance);
        }
        return found;
    }

    std::string why_no_sso() const {
        if (!m_inventory.cluster) {
            return "no cluster in this inventory (collected on a machine that is not a cluster "
                   "node)";
        }
        return "no cluster resource runs the ENTSSO service: SSO is not clustered in cluster " +
               q(m_inventory.cluster->name);
    }

  private:
    const Inventory& m_inventory;
    std::vector<const ClusterResource*> m_sso_resources;
};

RuleResult start(std::size_t index) {
    return RuleResult{&all_rules()[index], RuleStatus::ok, {}, {}};
}

RuleResult not_applicable(std::size_t index, std::string note) {
    RuleResult result = start(index);
    result.status = RuleStatus::not_applicable;
    result.note = std::move(note);
    return result;
}

void add_finding(RuleResult& result, std::string message, Evidence evidence, std::string fix) {
    result.findings.push_back(
        Finding{result.rule->severity, std::move(message), std::move(evidence), std::move(fix)});
    result.status =
        result.rule->severity == Severity::critical ? RuleStatus::critical : RuleStatus::warning;
}

// --- TOPO-SSO-HOSTS-CLUSTERED ------------------------------------------------------------------

enum class HostProblem { unclustered, other_group, no_resource };

RuleResult rule_hosts_clustered(const Context& context) {
    if (context.sso_resources().empty()) {
        return not_applicable(k_hosts_clustered, context.why_no_sso());
    }
    RuleResult result = start(k_hosts_clustered);
    std::vector<std::string> checked_groups;
    std::size_t checked = 0;
    for (const ClusterResource* sso : context.sso_resources()) {
        add_unique(checked_groups, sso->group);
        struct Problem {
            const BizTalkHost* host;
            HostProblem kind;
            std::vector<const HostInstance*> instances;
        };
        std::vector<Problem> problems;
        for (const HostInstance* instance : context.instances_on_owners(*sso)) {
            const BizTalkHost* host = context.host(instance->host);
            // Isolated hosts have no Windows service and cannot be clustered; they run in IIS,
            // which TOPO-SSO-ISOLATED-IIS requires in the SSO group.
            if (host->type == HostType::isolated)
                continue;
            ++checked;
            HostProblem kind;
            if (!host->clustered() || instance->cluster_instance_type == 0) {
                kind = HostProblem::unclustered;
            } else if (!same_name(host->cluster_group, sso->group)) {
                kind = HostProblem::other_group;
            } else if (context.service_in_group(sso->group, std::string(k_host_service_prefix) +
                                                                host->name) == nullptr) {
                kind = HostProblem::no_resource;
            } else {
                continue;
            }
            auto known = std::find_if(problems.begin(), problems.end(), [&](const Problem& p) {
                return p.host == host && p.kind == kind;
            });
            if (known == problems.end()) {
                problems.push_back(Problem{host, kind, {}});
                known = std::prev(problems.end());
            }
            known->instances.push_back(instance);
        }

        for (const Problem& problem : problems) {
            const BizTalkHost& host = *problem.host;
            Evidence evidence;
            evidence.groups.push_back(sso->group);
            evidence.resources.push_back(sso->name);
            evidence.hosts.push_back(host.name);
            std::vector<std::string> servers;
            for (const HostInstance* instance : problem.instances) {
                add_unique(servers, instance->server);
                evidence.host_instances.push_back({instance->host, instance->server});
                evidence.facts.push_back(host.name + " on " + instance->server +
                                         ": ClusterInstanceType " +
                                         std::to_string(instance->cluster_instance_type) +
                                         (instance->disabled ? " (disabled)" : ""));
            }
            evidence.nodes = servers;
            evidence.facts.push_back("ClusterResourceGroupName of " + host.name + ": " +
                                     (host.clustered() ? q(host.cluster_group) : "empty"));
            const std::string where = "on " + join(servers) +
                                      ", possible owners of the clustered SSO in group " +
                                      q(sso->group);
            const std::string service = std::string(k_host_service_prefix) + host.name;
            switch (problem.kind) {
                case HostProblem::unclustered:
                    add_finding(result,
                                "host " + q(host.name) + " has unclustered instances " + where +
                                    ": not a supported configuration (they fail when SSO moves "
                                    "away and block its failover)",
                                std::move(evidence),
                                "Cluster host " + q(host.name) + " in group " + q(sso->group) +
                                    " (BizTalk Administration console: Platform Settings > "
                                    "Hosts, right-click the host, Cluster), or remove its "
                                    "instances from " +
                                    join(servers) + ".");
                    break;
                case HostProblem::other_group:
                    add_unique(evidence.groups, host.cluster_group);
                    add_finding(result,
                                "host " + q(host.name) + " is clustered in group " +
                                    q(host.cluster_group) +
                                    ", not in the SSO group, and has "
                                    "instances " +
                                    where +
                                    ": not a supported configuration (SSO and the host can fail "
                                    "over to different nodes)",
                                std::move(evidence),
                                "Cluster host " + q(host.name) + " in the SSO group " +
                                    q(sso->group) + " instead of " + q(host.cluster_group) +
                                    " (BizTalk Administration console: right-click the host, "
                                    "Unclustered, then Cluster choosing " +
                                    q(sso->group) + ").");
                    break;
                case HostProblem::no_resource:
                    evidence.facts.push_back("no resource in " + q(sso->group) +
                                             " has ServiceName " + service);
                    add_finding(result,
                                "host " + q(host.name) + " names cluster group " + q(sso->group) +
                                    " but that group has no Generic Service "
                                    "resource for " +
                                    service + ", so its instances " + where +
                                    " are not clustered there: not a supported configuration",
                                std::move(evidence),
                                "Cluster host " + q(host.name) +
                                    " again from the BizTalk "
                                    "Administration console so that it creates the " +
                                    service + " resource in " + q(sso->group) + ".");
                    break;
            }
        }
    }
    if (result.findings.empty()) {
        result.note =
            checked == 0 ? "no in-process host instance runs on the possible owners of SSO group " +
                               join_quoted(checked_groups)
                         : std::to_string(checked) +
                               " in-process host instance(s) on the possible owners "
                               "of SSO group " +
                               join_quoted(checked_groups) + " belong to hosts clustered there";
    }
    return result;
}

// --- TOPO-SSO-ISOLATED-IIS ---------------------------------------------------------------------

RuleResult rule_isolated_iis(const Context& context) {
    if (context.sso_resources().empty()) {
        return not_applicable(k_isolated_iis, context.why_no_sso());
    }
    RuleResult result = start(k_isolated_iis);
    std::vector<std::string> notes;
    std::vector<std::string> done_groups;
    for (const ClusterResource* sso : context.sso_resources()) {
        if (std::any_of(done_groups.begin(), done_groups.end(),
                        [&](const std::string& g) { return same_name(g, sso->group); })) {
            continue;
        }
        done_groups.push_back(sso->group);
        Evidence evidence;
        for (const HostInstance* instance : context.instances_on_owners(*sso)) {
            const BizTalkHost* host = context.host(instance->host);
            if (host->type != HostType::isolated)
                continue;
            add_unique(evidence.hosts, host->name);
            add_unique(evidence.nodes, instance->server);
            evidence.host_instances.push_back({instance->host, instance->server});
        }
        if (evidence.hosts.empty()) {
            notes.push_back("no isolated host instance runs on the possible owners of " +
                            q(sso->group));
            continue;
        }
        if (const ClusterResource* iis = context.service_in_group(sso->group, k_iis_service)) {
            notes.push_back("IIS is clustered in " + q(sso->group) + " (resource " + q(iis->name) +
                            ")");
            continue;
        }
        evidence.groups.push_back(sso->group);
        evidence.resources.push_back(sso->name);
        evidence.facts.push_back("no resource in " + q(sso->group) + " has ServiceName W3SVC");
        const std::string hosts = join_quoted(evidence.hosts);
        const std::string nodes = join(evidence.nodes);
        add_finding(result,
                    "isolated host " + hosts + " runs on " + nodes +
                        ", possible owners of the clustered SSO in group " + q(sso->group) +
                        ", but IIS (W3SVC) is not clustered in that group",
                    std::move(evidence),
                    "Add the World Wide Web Publishing Service (W3SVC) as a Generic Service "
                    "resource in group " +
                        q(sso->group) +
                        " so that IIS fails over together with SSO and the isolated host.");
    }
    if (result.findings.empty())
        result.note = join(notes);
    return result;
}

// --- TOPO-SSO-USE-NETWORK-NAME -----------------------------------------------------------------

RuleResult rule_use_network_name(const Context& context) {
    if (context.sso_resources().empty()) {
        return not_applicable(k_use_network_name, context.why_no_sso());
    }
    RuleResult result = start(k_use_network_name);
    std::vector<std::string> notes;
    for (const ClusterResource* sso : context.sso_resources()) {
        const auto names = context.network_names_in_group(sso->group);
        const bool flag_set = sso->use_network_name && *sso->use_network_name == 1;
        if (flag_set && !names.empty()) {
            notes.push_back("ENTSSO resource " + q(sso->name) + " uses the network name " +
                            q(*names.front()->network_name));
            continue;
        }
        Evidence evidence;
        evidence.groups.push_back(sso->group);
        evidence.resources.push_back(sso->name);
        evidence.facts.push_back(sso->use_network_name
                                     ? "UseNetworkName = " + std::to_string(*sso->use_network_name)
                                     : std::string("UseNetworkName not in the inventory"));
        if (!flag_set) {
            add_finding(result,
                        "ENTSSO resource " + q(sso->name) + " in group " + q(sso->group) +
                            " does not have 'Use Network Name for computer name' set: clients "
                            "fail with 0x800706D9 after failover",
                        std::move(evidence),
                        "Run 'Get-ClusterResource " + q(sso->name) +
                            " | Set-ClusterParameter UseNetworkName 1' (or tick 'Use Network "
                            "Name for computer name'), then take the resource offline and "
                            "online.");
        } else {
            evidence.facts.push_back("no Network Name resource in " + q(sso->group));
            add_finding(result,
                        "ENTSSO resource " + q(sso->name) + " uses the network name, but group " +
                            q(sso->group) + " has no Network Name resource",
                        std::move(evidence),
                        "Add a Client Access Point (IP Address and Network Name) to group " +
                            q(sso->group) + " and make " + q(sso->name) + " depend on it.");
        }
    }
    if (result.findings.empty())
        result.note = join(notes);
    return result;
}

// --- where the secret server is ----------------------------------------------------------------

enum class SecretServerPlace {
    sso_network_name,    // network name of a group holding ENTSSO: the supported clustered master
    cluster_name,        // the cluster's own name
    node,                // a cluster node
    other_network_name,  // network name of a group without ENTSSO
    biztalk_server,      // a BizTalk server outside the cluster
    unknown,             // not in this inventory (a remote master)
};

struct SecretServerLocation {
    SecretServerPlace place = SecretServerPlace::unknown;
    const ClusterResource* network_name = nullptr;
};

SecretServerLocation locate_secret_server(const Context& context) {
    const Inventory& inventory = context.inventory();
    const std::string& secret = inventory.sso.secret_server;
    if (inventory.cluster) {
        const Cluster& cluster = *inventory.cluster;
        if (same_machine(cluster.name, secret))
            return {SecretServerPlace::cluster_name, nullptr};
        for (const auto& resource : cluster.resources) {
            if (resource.network_name && same_machine(*resource.network_name, secret)) {
                return {context.is_sso_group(resource.group)
                            ? SecretServerPlace::sso_network_name
                            : SecretServerPlace::other_network_name,
                        &resource};
            }
        }
        for (const auto& node : cluster.nodes) {
            if (same_machine(node.name, secret))
                return {SecretServerPlace::node, nullptr};
        }
    }
    for (const auto& server : inventory.biztalk.servers) {
        if (same_machine(server, secret))
            return {SecretServerPlace::biztalk_server, nullptr};
    }
    return {};
}

std::string sso_network_names(const Context& context) {
    std::vector<std::string> names;
    for (const ClusterResource* sso : context.sso_resources()) {
        for (const ClusterResource* name : context.network_names_in_group(sso->group)) {
            add_unique(names, *name->network_name);
        }
    }
    return names.empty() ? std::string("the network name of the SSO group") : join_quoted(names);
}

// --- TOPO-SSO-SECRET-SERVER-NAME ---------------------------------------------------------------

RuleResult rule_secret_server_name(const Context& context) {
    const Inventory& inventory = context.inventory();
    if (!inventory.cluster)
        return not_applicable(k_secret_server_name, context.why_no_sso());
    const std::string& secret = inventory.sso.secret_server;
    const SecretServerLocation location = locate_secret_server(context);
    const bool sso_clustered = !context.sso_resources().empty();
    if (location.place != SecretServerPlace::cluster_name && !sso_clustered) {
        return not_applicable(k_secret_server_name, context.why_no_sso());
    }

    RuleResult result = start(k_secret_server_name);
    Evidence evidence;
    for (const ClusterResource* sso : context.sso_resources()) {
        add_unique(evidence.groups, sso->group);
        add_unique(evidence.resources, sso->name);
    }
    evidence.facts.push_back("SSO secret server: " + secret);
    const std::string fix = std::string(k_update_db_fix) + " (" + sso_network_names(context) +
                            "), then restart the ENTSSO service on every SSO server.";
    switch (location.place) {
        case SecretServerPlace::cluster_name:
            evidence.facts.push_back("cluster name: " + inventory.cluster->name);
            add_finding(result,
                        "the SSO secret server is " + q(secret) +
                            ", the name of the cluster itself, not the network name of the SSO "
                            "group: failover breaks",
                        std::move(evidence), fix);
            break;
        case SecretServerPlace::node:
            evidence.nodes.push_back(secret);
            add_finding(result,
                        "the SSO secret server is " + q(secret) +
                            ", a cluster node, not the network name of the SSO group: after "
                            "failover to another node the name no longer reaches the master",
                        std::move(evidence), fix);
            break;
        case SecretServerPlace::other_network_name:
            evidence.groups.push_back(location.network_name->group);
            evidence.resources.push_back(location.network_name->name);
            add_finding(result,
                        "the SSO secret server " + q(secret) + " is the network name of group " +
                            q(location.network_name->group) +
                            ", which holds no ENTSSO resource: the secret server does not move "
                            "with SSO",
                        std::move(evidence), fix);
            break;
        case SecretServerPlace::sso_network_name:
            result.note = "the secret server " + q(secret) + " is the network name of SSO group " +
                          q(location.network_name->group) + " (resource " +
                          q(location.network_name->name) + ")";
            break;
        case SecretServerPlace::biztalk_server:
        case SecretServerPlace::unknown:
            result.note = "the secret server " + q(secret) +
                          " is outside this cluster: the clustered SSO is not the master "
                          "(supported: SSO and hosts in one group with a remote master)";
            break;
    }
    return result;
}

// --- TOPO-SSO-MASTER-CLUSTERED -----------------------------------------------------------------

RuleResult rule_master_clustered(const Context& context) {
    const std::string& secret = context.inventory().sso.secret_server;
    const SecretServerLocation location = locate_secret_server(context);
    const bool sso_clustered = !context.sso_resources().empty();
    RuleResult result = start(k_master_clustered);
    switch (location.place) {
        case SecretServerPlace::sso_network_name:
            result.note = "the master secret server " + q(secret) + " is clustered (group " +
                          q(location.network_name->group) + ")";
            return result;
        case SecretServerPlace::cluster_name:
        case SecretServerPlace::other_network_name:
            return not_applicable(k_master_clustered,
                                  "the secret server name is wrong: see "
                                  "TOPO-SSO-SECRET-SERVER-NAME");
        case SecretServerPlace::node:
            if (sso_clustered) {
                return not_applicable(k_master_clustered,
                                      "the secret server name is wrong: see "
                                      "TOPO-SSO-SECRET-SERVER-NAME");
            }
            break;
        case SecretServerPlace::biztalk_server:
            break;
        case SecretServerPlace::unknown:
            return not_applicable(k_master_clustered,
                                  "the master secret server " + q(secret) +
                                      " is not in this inventory; collect an inventory on it "
                                      "to check that it is clustered");
    }
    Evidence evidence;
    evidence.servers.push_back(secret);
    evidence.facts.push_back("SSO secret server: " + secret);
    evidence.facts.push_back(location.place == SecretServerPlace::node
                                 ? "a node of cluster " + q(context.inventory().cluster->name) +
                                       " where ENTSSO is not a cluster resource"
                                 : std::string("a BizTalk server outside any cluster in this "
                                               "inventory"));
    add_finding(result,
                "the master secret server " + q(secret) +
                    " is a single machine: while it is down, SSO services that start cannot get "
                    "the master secret",
                std::move(evidence),
                "Cluster the master secret server (ENTSSO as a Generic Service in its own group "
                "with a network name, then 'ssomanage -updatedb' to that name); restore the "
                "secret on every node that can own the group.");
    return result;
}

// --- TOPO-TRACKING-HOST-INSTANCES --------------------------------------------------------------

RuleResult rule_tracking(const Context& context) {
    const BizTalkGroup& biztalk = context.inventory().biztalk;
    RuleResult result = start(k_tracking);
    const std::int64_t needed = biztalk.messagebox_count + 1;
    std::int64_t at_once = 0;
    Evidence evidence;
    for (const auto& host : biztalk.hosts) {
        if (!host.tracking)
            continue;
        evidence.hosts.push_back(host.name);
        std::int64_t enabled = 0;
        for (const auto& instance : biztalk.host_instances) {
            if (!same_name(instance.host, host.name) || instance.disabled)
                continue;
            ++enabled;
            evidence.host_instances.push_back({instance.host, instance.server});
        }
        // A clustered host runs on one node at a time, whatever its number of instances.
        at_once += host.clustered() ? std::min<std::int64_t>(enabled, 1) : enabled;
    }
    const std::string summary =
        std::to_string(at_once) + " tracking host instance(s) can run at once; " +
        std::to_string(needed) + " needed (" + std::to_string(biztalk.messagebox_count) +
        " MessageBox database(s) + 1)";
    if (at_once >= needed) {
        result.note = summary;
        return result;
    }
    evidence.facts.push_back("MessageBox databases: " + std::to_string(biztalk.messagebox_count));
    evidence.facts.push_back("enabled tracking host instances that can run at once: " +
                             std::to_string(at_once) + " (a clustered host counts once)");
    add_finding(result,
                at_once == 0 ? "no enabled host instance has tracking: tracking data stays in the "
                               "MessageBox (" +
                                   summary + ")"
                             : "too few tracking host instances: " + summary,
                std::move(evidence),
                "Enable 'Allow Host Tracking' on another host, or add enabled instances of a "
                "tracking host on more servers, until at least " +
                    std::to_string(needed) + " can run at the same time.");
    return result;
}

// --- TOPO-HOST-REDUNDANCY ----------------------------------------------------------------------

RuleResult rule_host_redundancy(const Context& context) {
    const BizTalkGroup& biztalk = context.inventory().biztalk;
    RuleResult result = start(k_host_redundancy);
    std::size_t clustered = 0, spread = 0;
    for (const auto& host : biztalk.hosts) {
        if (host.clustered()) {
            ++clustered;
            continue;
        }
        Evidence evidence;
        std::vector<std::string> enabled_servers;
        for (const auto& instance : biztalk.host_instances) {
            if (!same_name(instance.host, host.name))
                continue;
            evidence.host_instances.push_back({instance.host, instance.server});
            if (instance.disabled) {
                evidence.facts.push_back(host.name + " on " + instance.server + " is disabled");
            } else {
                add_unique(enabled_servers, instance.server);
            }
        }
        if (enabled_servers.size() >= 2) {
            ++spread;
            continue;
        }
        evidence.hosts.push_back(host.name);
        evidence.servers = enabled_servers;
        const std::string message =
            enabled_servers.empty()
                ? "host " + q(host.name) + " has no enabled instance and is not clustered"
                : "host " + q(host.name) + " runs only on " + enabled_servers.front() +
                      " and is not clustered: nothing takes over when that server fails";
        add_finding(result, message, std::move(evidence),
                    "Add and enable an instance of host " + q(host.name) +
                        " on a second BizTalk server, or cluster the host if its adapters must "
                        "run on one server at a time.");
    }
    if (result.findings.empty()) {
        result.note = std::to_string(spread) +
                      " host(s) have enabled instances on two or more "
                      "servers, " +
                      std::to_string(clustered) + " are clustered";
    }
    return result;
}

// --- TOPO-SQL-PASSIVE-CAPACITY -----------------------------------------------------------------

RuleResult rule_sql_capacity(const Context& context) {
    const auto& sql = context.inventory().sql;
    if (!sql) {
        return not_applicable(k_sql_capacity,
                              "no SQL Server load figures in this inventory (collector option "
                              "-SqlLoadCsv)");
    }
    RuleResult result = start(k_sql_capacity);
    struct Metric {
        const char* label;
        double SqlInstance::*field;
    };
    for (const Metric metric : {Metric{"CPU", &SqlInstance::cpu_percent},
                                Metric{"memory", &SqlInstance::memory_percent}}) {
        Evidence evidence;
        for (const auto& instance : sql->instances) {
            const double value = instance.*metric.field;
            if (value <= 50.0)
                continue;
            evidence.sql_instances.push_back(instance.name);
            add_unique(evidence.nodes, instance.node);
            evidence.facts.push_back(instance.name + " on " + instance.node + ": " +
                                     percent(value) + " % " + metric.label);
        }
        if (evidence.sql_instances.size() < 2)
            continue;
        const std::string names = join_quoted(evidence.sql_instances);
        const std::string label = metric.label;
        add_finding(result,
                    "SQL instances " + names + " each use more than 50 % of their node's " + label +
                        ": after a failover onto one node both run degraded",
                    std::move(evidence),
                    "Test that one node can carry these instances together, or add a node "
                    "(active/active/passive) so that a failover never stacks them.");
    }
    if (result.findings.empty()) {
        result.note = std::to_string(sql->instances.size()) +
                      " SQL instance(s): no two use more than 50 % of a node's CPU or memory";
    }
    return result;
}

}  // namespace

const ChecklistRow& checklist_row(int row) {
    return k_checklist_rows.at(static_cast<std::size_t>(row - 1));
}

const std::vector<RuleInfo>& all_rules() {
    static const std::vector<RuleInfo> rules{
        {"TOPO-SSO-HOSTS-CLUSTERED",
         "every BizTalk host instance on a possible owner of clustered ENTSSO belongs to a host "
         "clustered in the same group",
         Severity::critical, 8},
        {"TOPO-SSO-ISOLATED-IIS",
         "isolated hosts on possible owners of clustered ENTSSO have IIS (W3SVC) clustered in the "
         "same group",
         Severity::critical, 10},
        {"TOPO-SSO-USE-NETWORK-NAME",
         "the clustered ENTSSO generic service uses its group's network name (UseNetworkName = 1)",
         Severity::critical, 8},
        {"TOPO-SSO-SECRET-SERVER-NAME",
         "the SSO secret server is the network name of the SSO group, not the cluster or a node",
         Severity::critical, 8},
        {"TOPO-SSO-MASTER-CLUSTERED", "the master secret server is clustered", Severity::warning,
         8},
        {"TOPO-TRACKING-HOST-INSTANCES",
         "at least N+1 tracking host instances can run at once, N = MessageBox databases",
         Severity::warning, 4},
        {"TOPO-HOST-REDUNDANCY",
         "every host is clustered or has enabled instances on at least two servers",
         Severity::warning, 1},
        {"TOPO-SQL-PASSIVE-CAPACITY",
         "no two SQL instances each use more than 50 % of a node's CPU or memory",
         Severity::warning, 6},
    };
    return rules;
}

std::string_view to_string(Severity severity) noexcept {
    return severity == Severity::critical ? "critical" : "warning";
}

std::string_view to_string(RuleStatus status) noexcept {
    switch (status) {
        case RuleStatus::ok:
            return "ok";
        case RuleStatus::warning:
            return "warning";
        case RuleStatus::critical:
            return "critical";
        case RuleStatus::not_applicable:
            return "not_applicable";
    }
    return "unknown";
}

int Report::critical_count() const noexcept {
    int count = 0;
    for (const auto& result : results) {
        for (const auto& finding : result.findings) {
            if (finding.severity == Severity::critical)
                ++count;
        }
    }
    return count;
}

int Report::warning_count() const noexcept {
    int count = 0;
    for (const auto& result : results) {
        for (const auto& finding : result.findings) {
            if (finding.severity == Severity::warning)
                ++count;
        }
    }
    return count;
}

RuleStatus Report::overall() const noexcept {
    if (critical_count() > 0)
        return RuleStatus::critical;
    if (warning_count() > 0)
        return RuleStatus::warning;
    return RuleStatus::ok;
}

int Report::exit_code() const noexcept {
    switch (overall()) {
        case RuleStatus::critical:
            return k_monitor_critical;
        case RuleStatus::warning:
            return k_monitor_warning;
        default:
            return k_monitor_ok;
    }
}

Report check_topology(const Inventory& inventory) {
    const Context context(inventory);
    Report report;
    report.results.push_back(rule_hosts_clustered(context));
    report.results.push_back(rule_isolated_iis(context));
    report.results.push_back(rule_use_network_name(context));
    report.results.push_back(rule_secret_server_name(context));
    report.results.push_back(rule_master_clustered(context));
    report.results.push_back(rule_tracking(context));
    report.results.push_back(rule_host_redundancy(context));
    report.results.push_back(rule_sql_capacity(context));
    return report;
}

}  // namespace ssoescrow::topology
