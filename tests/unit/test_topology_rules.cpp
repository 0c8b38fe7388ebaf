// Each topology rule on its own: passing and failing inventories (built from the supported
// pattern-1 fixture, then changed), the evidence and fix it reports, and when it does not apply.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include "src/topology/inventory.hpp"
#include "src/topology/report_format.hpp"
#include "src/topology/rules.hpp"

using namespace ssoescrow::topology;

namespace {

Inventory load_fixture(const std::string& name) {
    const auto path = std::filesystem::path(SSOESCROW_TESTS_DIR) / "fixtures" / "topology" / name;
    auto inventory = load_inventory(path.string());
    REQUIRE(inventory.ok());
    return std::move(inventory).value();
}

Inventory pattern1() {
    return load_fixture("pattern1-master-and-hosts-in-one-group.json");
}
Inventory no_cluster() {
    return load_fixture("no-cluster-remote-master.json");
}

const RuleResult& result_of(const Report& report, std::string_view id) {
    const auto found = std::find_if(report.results.begin(), report.results.end(),
                                    [&](const RuleResult& r) { return r.rule->id == id; });
    REQUIRE(found != report.results.end());
    return *found;
}

RuleResult run(const Inventory& inventory, std::string_view id) {
    return result_of(check_topology(inventory), id);
}

ClusterResource& resource(Inventory& inventory, std::string_view name) {
    auto& resources = inventory.cluster->resources;
    const auto found = std::find_if(resources.begin(), resources.end(),
                                    [&](const ClusterResource& r) { return r.name == name; });
    REQUIRE(found != resources.end());
    return *found;
}

void remove_resource(Inventory& inventory, std::string_view name) {
    auto& resources = inventory.cluster->resources;
    const auto before = resources.size();
    resources.erase(std::remove_if(resources.begin(), resources.end(),
                                   [&](const ClusterResource& r) { return r.name == name; }),
                    resources.end());
    REQUIRE(resources.size() + 1 == before);
}

BizTalkHost& host(Inventory& inventory, std::string_view name) {
    auto& hosts = inventory.biztalk.hosts;
    const auto found = std::find_if(hosts.begin(), hosts.end(),
                                    [&](const BizTalkHost& h) { return h.name == name; });
    REQUIRE(found != hosts.end());
    return *found;
}

void add_host(Inventory& inventory, const std::string& name, HostType type, bool tracking,
              const std::string& group, const std::vector<std::string>& servers,
              std::int64_t instance_type = 0) {
    inventory.biztalk.hosts.push_back(BizTalkHost{name, type, tracking, group});
    for (const auto& server : servers) {
        inventory.biztalk.host_instances.push_back(
            HostInstance{name, server, instance_type, false});
    }
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("rules: the supported pattern-1 inventory passes every rule", "[topology]") {
    const Report report = check_topology(pattern1());
    REQUIRE(report.results.size() == all_rules().size());
    for (const auto& result : report.results) {
        INFO(result.rule->id << ": " << result.note);
        CHECK(result.status == RuleStatus::ok);
        CHECK(result.findings.empty());
    }
    CHECK(report.exit_code() == 0);
    CHECK(result_of(report, "TOPO-SSO-HOSTS-CLUSTERED").note ==
          "6 in-process host instance(s) on the possible owners of SSO group 'SSO-BizTalk' belong "
          "to hosts clustered there");
}

TEST_CASE("rules: every rule has an id, a title, a severity and a checklist row", "[topology]") {
    for (const auto& rule : all_rules()) {
        CHECK(rule.id.rfind("TOPO-", 0) == 0);
        CHECK_FALSE(rule.title.empty());
        CHECK(rule.checklist_row >= 1);
        CHECK(rule.checklist_row <= 10);
        CHECK_FALSE(checklist_row(rule.checklist_row).step.empty());
    }
}

TEST_CASE("TOPO-SSO-HOSTS-CLUSTERED: an unclustered host on the SSO nodes is critical",
          "[topology]") {
    Inventory inventory = pattern1();
    add_host(inventory, "SendHost", HostType::in_process, false, "", {"BTS01", "BTS02"});
    inventory.biztalk.host_instances.back().disabled = true;
    const RuleResult result = run(inventory, "TOPO-SSO-HOSTS-CLUSTERED");
    CHECK(result.status == RuleStatus::critical);
    REQUIRE(result.findings.size() == 1);
    const Finding& finding = result.findings[0];
    CHECK(finding.severity == Severity::critical);
    CHECK(finding.message ==
          "host 'SendHost' has unclustered instances on BTS01, BTS02, possible owners of the "
          "clustered SSO in group 'SSO-BizTalk': not a supported configuration (they fail when "
          "SSO moves away and block its failover)");
    CHECK(finding.evidence.hosts == std::vector<std::string>{"SendHost"});
    CHECK(finding.evidence.nodes == std::vector<std::string>{"BTS01", "BTS02"});
    CHECK(finding.evidence.groups == std::vector<std::string>{"SSO-BizTalk"});
    CHECK(finding.evidence.resources == std::vector<std::string>{"ENTSSO"});
    REQUIRE(finding.evidence.host_instances.size() == 2);
    CHECK(finding.evidence.host_instances[1].server == "BTS02");
    CHECK(std::count(finding.evidence.facts.begin(), finding.evidence.facts.end(),
                     "SendHost on BTS02: ClusterInstanceType 0 (disabled)") == 1);
    CHECK(contains(finding.fix, "Cluster host 'SendHost' in group 'SSO-BizTalk'"));
    CHECK(check_topology(inventory).exit_code() == 2);
}

TEST_CASE("TOPO-SSO-HOSTS-CLUSTERED: unclustered instance of a host naming the SSO group",
          "[topology]") {
    Inventory inventory = pattern1();
    inventory.biztalk.host_instances[1].cluster_instance_type =
        0;  // BizTalkServerApplication@BTS02
    const RuleResult result = run(inventory, "TOPO-SSO-HOSTS-CLUSTERED");
    REQUIRE(result.findings.size() == 1);
    CHECK(result.findings[0].evidence.nodes == std::vector<std::string>{"BTS02"});
    CHECK(contains(result.findings[0].message, "host 'BizTalkServerApplication' has unclustered"));
}

TEST_CASE("TOPO-SSO-HOSTS-CLUSTERED: a host clustered in another group is critical", "[topology]") {
    Inventory inventory = pattern1();
    inventory.cluster->groups.push_back(ClusterGroup{"BizTalk-Receive", "BTS02", "Online"});
    resource(inventory, "ReceiveHost").group = "BizTalk-Receive";
    host(inventory, "ReceiveHost").cluster_group = "BizTalk-Receive";
    const RuleResult result = run(inventory, "TOPO-SSO-HOSTS-CLUSTERED");
    REQUIRE(result.findings.size() == 1);
    const Finding& finding = result.findings[0];
    CHECK(contains(finding.message,
                   "host 'ReceiveHost' is clustered in group 'BizTalk-Receive', "
                   "not in the SSO group"));
    CHECK(finding.evidence.groups == std::vector<std::string>{"SSO-BizTalk", "BizTalk-Receive"});
    CHECK(contains(finding.fix, "instead of 'BizTalk-Receive'"));
}

TEST_CASE("TOPO-SSO-HOSTS-CLUSTERED: a clustered host without its BTSSvc$ resource", "[topology]") {
    Inventory inventory = pattern1();
    remove_resource(inventory, "ReceiveHost");
    const RuleResult result = run(inventory, "TOPO-SSO-HOSTS-CLUSTERED");
    REQUIRE(result.findings.size() == 1);
    CHECK(contains(result.findings[0].message,
                   "has no Generic Service resource for BTSSvc$ReceiveHost"));
    CHECK(contains(result.findings[0].fix, "creates the BTSSvc$ReceiveHost resource"));
}

TEST_CASE("TOPO-SSO-HOSTS-CLUSTERED: names compare ignoring case and DNS suffix", "[topology]") {
    Inventory inventory = pattern1();
    host(inventory, "ReceiveHost").cluster_group = "sso-biztalk";
    resource(inventory, "ReceiveHost").service_name = "btssvc$RECEIVEHOST";
    resource(inventory, "ENTSSO").service_name = "entsso";
    resource(inventory, "ENTSSO").possible_owners = {"bts01.contoso.com", "Bts02"};
    const RuleResult result = run(inventory, "TOPO-SSO-HOSTS-CLUSTERED");
    CHECK(result.status == RuleStatus::ok);
    CHECK(contains(result.note, "6 in-process host instance(s)"));
}

TEST_CASE("TOPO-SSO-HOSTS-CLUSTERED: isolated hosts and other nodes are not its concern",
          "[topology]") {
    Inventory inventory = load_fixture("sso-master-on-dedicated-cluster.json");
    const RuleResult dedicated = run(inventory, "TOPO-SSO-HOSTS-CLUSTERED");
    CHECK(dedicated.status == RuleStatus::ok);
    CHECK(dedicated.note ==
          "no in-process host instance runs on the possible owners of SSO group 'Master Secret "
          "Server'");

    inventory = pattern1();
    add_host(inventory, "IsolatedHost2", HostType::isolated, false, "", {"BTS01"});
    CHECK(run(inventory, "TOPO-SSO-HOSTS-CLUSTERED").status == RuleStatus::ok);

    const RuleResult no_cluster_result = run(no_cluster(), "TOPO-SSO-HOSTS-CLUSTERED");
    CHECK(no_cluster_result.status == RuleStatus::not_applicable);
    CHECK(contains(no_cluster_result.note, "no cluster in this inventory"));
    const RuleResult no_sso = run(load_fixture("pattern3-hosts-clustered-sso-not-clustered.json"),
                                  "TOPO-SSO-HOSTS-CLUSTERED");
    CHECK(no_sso.status == RuleStatus::not_applicable);
    CHECK(no_sso.note ==
          "no cluster resource runs the ENTSSO service: SSO is not clustered in cluster 'BTCLUS'");
}

TEST_CASE("TOPO-SSO-ISOLATED-IIS: isolated hosts on SSO nodes need W3SVC in the group",
          "[topology]") {
    Inventory inventory = pattern1();
    CHECK(run(inventory, "TOPO-SSO-ISOLATED-IIS").note ==
          "IIS is clustered in 'SSO-BizTalk' (resource 'IIS')");
    resource(inventory, "IIS").service_name = "w3svc";
    CHECK(run(inventory, "TOPO-SSO-ISOLATED-IIS").status == RuleStatus::ok);

    remove_resource(inventory, "IIS");
    const RuleResult result = run(inventory, "TOPO-SSO-ISOLATED-IIS");
    CHECK(result.status == RuleStatus::critical);
    REQUIRE(result.findings.size() == 1);
    CHECK(result.findings[0].message ==
          "isolated host 'IsolatedHost' runs on BTS01, BTS02, possible owners of the clustered "
          "SSO in group 'SSO-BizTalk', but IIS (W3SVC) is not clustered in that group");
    CHECK(result.findings[0].evidence.host_instances.size() == 2);
    CHECK(contains(result.findings[0].fix,
                   "(W3SVC) as a Generic Service resource in group "
                   "'SSO-BizTalk'"));

    // IIS in another group does not count.
    inventory = pattern1();
    inventory.cluster->groups.push_back(ClusterGroup{"Web", "BTS01", "Online"});
    resource(inventory, "IIS").group = "Web";
    CHECK(run(inventory, "TOPO-SSO-ISOLATED-IIS").status == RuleStatus::critical);

    // Without isolated instances on the SSO nodes, no IIS is needed.
    inventory = pattern1();
    remove_resource(inventory, "IIS");
    auto& instances = inventory.biztalk.host_instances;
    instances.erase(std::remove_if(instances.begin(), instances.end(),
                                   [](const HostInstance& i) { return i.host == "IsolatedHost"; }),
                    instances.end());
    const RuleResult none = run(inventory, "TOPO-SSO-ISOLATED-IIS");
    CHECK(none.status == RuleStatus::ok);
    CHECK(none.note == "no isolated host instance runs on the possible owners of 'SSO-BizTalk'");
    CHECK(run(no_cluster(), "TOPO-SSO-ISOLATED-IIS").status == RuleStatus::not_applicable);
}

TEST_CASE("TOPO-SSO-USE-NETWORK-NAME: the ENTSSO resource must use the network name",
          "[topology]") {
    Inventory inventory = pattern1();
    CHECK(run(inventory, "TOPO-SSO-USE-NETWORK-NAME").note ==
          "ENTSSO resource 'ENTSSO' uses the network name 'SSOBTS'");

    resource(inventory, "ENTSSO").use_network_name = 0;
    RuleResult result = run(inventory, "TOPO-SSO-USE-NETWORK-NAME");
    CHECK(result.status == RuleStatus::critical);
    REQUIRE(result.findings.size() == 1);
    CHECK(contains(result.findings[0].message, "0x800706D9"));
    CHECK(result.findings[0].evidence.facts == std::vector<std::string>{"UseNetworkName = 0"});
    CHECK(contains(result.findings[0].fix, "Set-ClusterParameter UseNetworkName 1"));

    resource(inventory, "ENTSSO").use_network_name.reset();
    result = run(inventory, "TOPO-SSO-USE-NETWORK-NAME");
    REQUIRE(result.findings.size() == 1);
    CHECK(result.findings[0].evidence.facts ==
          std::vector<std::string>{"UseNetworkName not in the inventory"});

    inventory = pattern1();
    remove_resource(inventory, "SSO Name");
    result = run(inventory, "TOPO-SSO-USE-NETWORK-NAME");
    REQUIRE(result.findings.size() == 1);
    CHECK(contains(result.findings[0].message, "has no Network Name resource"));
    CHECK(run(no_cluster(), "TOPO-SSO-USE-NETWORK-NAME").status == RuleStatus::not_applicable);
}

TEST_CASE("TOPO-SSO-SECRET-SERVER-NAME: the secret server must be the SSO network name",
          "[topology]") {
    Inventory inventory = pattern1();
    inventory.sso.secret_server = "ssobts.contoso.com";
    CHECK(run(inventory, "TOPO-SSO-SECRET-SERVER-NAME").note ==
          "the secret server 'ssobts.contoso.com' is the network name of SSO group 'SSO-BizTalk' "
          "(resource 'SSO Name')");

    inventory.sso.secret_server = "btclus";
    RuleResult result = run(inventory, "TOPO-SSO-SECRET-SERVER-NAME");
    CHECK(result.status == RuleStatus::critical);
    REQUIRE(result.findings.size() == 1);
    CHECK(result.findings[0].message ==
          "the SSO secret server is 'btclus', the name of the cluster itself, not the network "
          "name of the SSO group: failover breaks");
    CHECK(contains(result.findings[0].fix, "ssomanage -updatedb"));
    CHECK(contains(result.findings[0].fix, "('SSOBTS')"));

    inventory.sso.secret_server = "BTS02";
    result = run(inventory, "TOPO-SSO-SECRET-SERVER-NAME");
    REQUIRE(result.findings.size() == 1);
    CHECK(contains(result.findings[0].message, "'BTS02', a cluster node"));
    CHECK(result.findings[0].evidence.nodes == std::vector<std::string>{"BTS02"});

    inventory.cluster->groups.push_back(ClusterGroup{"FileShare", "BTS01", "Online"});
    inventory.cluster->resources.push_back(ClusterResource{"Files Name",
                                                           "FileShare",
                                                           "Network Name",
                                                           "Online",
                                                           "BTS01",
                                                           {"BTS01", "BTS02"},
                                                           std::nullopt,
                                                           std::nullopt,
                                                           std::string("BTFILES")});
    inventory.sso.secret_server = "BTFILES";
    result = run(inventory, "TOPO-SSO-SECRET-SERVER-NAME");
    REQUIRE(result.findings.size() == 1);
    CHECK(contains(result.findings[0].message,
                   "network name of group 'FileShare', which holds "
                   "no ENTSSO resource"));

    inventory.sso.secret_server = "SSOMASTER";
    result = run(inventory, "TOPO-SSO-SECRET-SERVER-NAME");
    CHECK(result.status == RuleStatus::ok);
    CHECK(contains(result.note, "outside this cluster"));

    // SSO not clustered: naming the cluster is still wrong; naming a node is the next rule's.
    inventory = load_fixture("pattern3-hosts-clustered-sso-not-clustered.json");
    inventory.sso.secret_server = "BTCLUS";
    CHECK(run(inventory, "TOPO-SSO-SECRET-SERVER-NAME").status == RuleStatus::critical);
    inventory.sso.secret_server = "BTS01";
    CHECK(run(inventory, "TOPO-SSO-SECRET-SERVER-NAME").status == RuleStatus::not_applicable);
    CHECK(run(no_cluster(), "TOPO-SSO-SECRET-SERVER-NAME").status == RuleStatus::not_applicable);
}

TEST_CASE("TOPO-SSO-MASTER-CLUSTERED: a single-machine master is a warning", "[topology]") {
    CHECK(run(pattern1(), "TOPO-SSO-MASTER-CLUSTERED").note ==
          "the master secret server 'SSOBTS' is clustered (group 'SSO-BizTalk')");

    Inventory inventory = no_cluster();
    inventory.sso.secret_server = "bts02";
    RuleResult result = run(inventory, "TOPO-SSO-MASTER-CLUSTERED");
    CHECK(result.status == RuleStatus::warning);
    REQUIRE(result.findings.size() == 1);
    CHECK(result.findings[0].severity == Severity::warning);
    CHECK(contains(result.findings[0].message, "'bts02' is a single machine"));
    CHECK(result.findings[0].evidence.servers == std::vector<std::string>{"bts02"});
    CHECK(check_topology(inventory).exit_code() == 1);

    inventory = load_fixture("pattern3-hosts-clustered-sso-not-clustered.json");
    inventory.sso.secret_server = "BTS01";
    result = run(inventory, "TOPO-SSO-MASTER-CLUSTERED");
    REQUIRE(result.findings.size() == 1);
    CHECK(contains(result.findings[0].evidence.facts[1], "a node of cluster 'BTCLUS'"));

    const RuleResult remote = run(no_cluster(), "TOPO-SSO-MASTER-CLUSTERED");
    CHECK(remote.status == RuleStatus::not_applicable);
    CHECK(contains(remote.note, "'SSOMASTER' is not in this inventory"));

    inventory = pattern1();
    inventory.sso.secret_server = "BTCLUS";
    CHECK(run(inventory, "TOPO-SSO-MASTER-CLUSTERED").status == RuleStatus::not_applicable);
    inventory.sso.secret_server = "BTS01";
    CHECK(run(inventory, "TOPO-SSO-MASTER-CLUSTERED").status == RuleStatus::not_applicable);
}

TEST_CASE("TOPO-TRACKING-HOST-INSTANCES: N+1 tracking instances that can run at once",
          "[topology]") {
    Inventory inventory = pattern1();
    // Two clustered tracking hosts with two instances each: two can run at once.
    CHECK(run(inventory, "TOPO-TRACKING-HOST-INSTANCES").note ==
          "2 tracking host instance(s) can run at once; 2 needed (1 MessageBox database(s) + 1)");

    inventory.biztalk.messagebox_count = 2;
    RuleResult result = run(inventory, "TOPO-TRACKING-HOST-INSTANCES");
    CHECK(result.status == RuleStatus::warning);
    REQUIRE(result.findings.size() == 1);
    CHECK(result.findings[0].message ==
          "too few tracking host instances: 2 tracking host instance(s) can run at once; 3 "
          "needed (2 MessageBox database(s) + 1)");
    CHECK(result.findings[0].evidence.hosts ==
          std::vector<std::string>{"BizTalkServerApplication", "TrackingHost"});
    CHECK(contains(result.findings[0].fix, "until at least 3 can run"));

    // Unclustered instances count one each; disabled ones do not count.
    add_host(inventory, "TrackingSpread", HostType::in_process, true, "", {"BTS01", "BTS02"});
    CHECK(run(inventory, "TOPO-TRACKING-HOST-INSTANCES").status == RuleStatus::ok);
    inventory.biztalk.host_instances.back().disabled = true;
    CHECK(run(inventory, "TOPO-TRACKING-HOST-INSTANCES").status == RuleStatus::ok);  // 2 + 1
    inventory.biztalk.host_instances[inventory.biztalk.host_instances.size() - 2].disabled = true;
    CHECK(run(inventory, "TOPO-TRACKING-HOST-INSTANCES").status == RuleStatus::warning);

    inventory = no_cluster();
    for (auto& h : inventory.biztalk.hosts)
        h.tracking = false;
    result = run(inventory, "TOPO-TRACKING-HOST-INSTANCES");
    REQUIRE(result.findings.size() == 1);
    CHECK(contains(result.findings[0].message, "no enabled host instance has tracking"));
}

TEST_CASE("TOPO-HOST-REDUNDANCY: each host clustered or on two servers", "[topology]") {
    Inventory inventory = no_cluster();
    CHECK(run(inventory, "TOPO-HOST-REDUNDANCY").note ==
          "3 host(s) have enabled instances on two or more servers, 0 are clustered");

    add_host(inventory, "FtpHost", HostType::in_process, false, "", {"BTS01"});
    add_host(inventory, "SendHost", HostType::in_process, false, "", {"BTS01", "BTS02"});
    inventory.biztalk.host_instances.back().disabled = true;
    add_host(inventory, "EmptyHost", HostType::in_process, false, "", {});
    const RuleResult result = run(inventory, "TOPO-HOST-REDUNDANCY");
    CHECK(result.status == RuleStatus::warning);
    REQUIRE(result.findings.size() == 3);
    CHECK(result.findings[0].message ==
          "host 'FtpHost' runs only on BTS01 and is not clustered: nothing takes over when that "
          "server fails");
    CHECK(result.findings[0].evidence.servers == std::vector<std::string>{"BTS01"});
    CHECK(result.findings[1].evidence.facts ==
          std::vector<std::string>{"SendHost on BTS02 is disabled"});
    CHECK(result.findings[2].message ==
          "host 'EmptyHost' has no enabled instance and is not "
          "clustered");

    // A clustered host needs no second active instance.
    CHECK(run(pattern1(), "TOPO-HOST-REDUNDANCY").note ==
          "1 host(s) have enabled instances on two or more servers, 3 are clustered");
}

TEST_CASE("TOPO-SQL-PASSIVE-CAPACITY: two instances above half a node", "[topology]") {
    Inventory inventory = pattern1();
    CHECK(run(inventory, "TOPO-SQL-PASSIVE-CAPACITY").status == RuleStatus::ok);

    inventory.sql->instances[0].memory_percent = 75;
    inventory.sql->instances[1].memory_percent = 50.5;
    RuleResult result = run(inventory, "TOPO-SQL-PASSIVE-CAPACITY");
    CHECK(result.status == RuleStatus::warning);
    REQUIRE(result.findings.size() == 1);
    CHECK(contains(result.findings[0].message, "each use more than 50 % of their node's memory"));
    CHECK(result.findings[0].evidence.facts ==
          std::vector<std::string>{"SQLCLUS1\\BTSMSG on SQL01: 75 % memory",
                                   "SQLCLUS2\\BTSDTA on SQL02: 50.5 % memory"});
    CHECK(result.findings[0].evidence.nodes == std::vector<std::string>{"SQL01", "SQL02"});

    // Exactly 50 % is not above half; one heavy instance alone is fine.
    inventory.sql->instances[1].memory_percent = 50;
    CHECK(run(inventory, "TOPO-SQL-PASSIVE-CAPACITY").status == RuleStatus::ok);

    // CPU and memory are separate findings.
    inventory.sql->instances[1].memory_percent = 80;
    inventory.sql->instances[0].cpu_percent = 90;
    inventory.sql->instances[1].cpu_percent = 51;
    result = run(inventory, "TOPO-SQL-PASSIVE-CAPACITY");
    REQUIRE(result.findings.size() == 2);
    CHECK(contains(result.findings[0].message, "CPU"));
    CHECK(contains(result.findings[1].message, "memory"));

    inventory.sql.reset();
    CHECK(run(inventory, "TOPO-SQL-PASSIVE-CAPACITY").status == RuleStatus::not_applicable);
}

TEST_CASE("topology report: overall status, counts and formats", "[topology]") {
    Inventory inventory = pattern1();
    inventory.biztalk.messagebox_count = 2;  // one warning
    Report report = check_topology(inventory);
    CHECK(report.overall() == RuleStatus::warning);
    CHECK(report.warning_count() == 1);
    CHECK(report.critical_count() == 0);
    CHECK(report.exit_code() == 1);

    inventory.sso.secret_server = "BTCLUS";  // and one critical
    report = check_topology(inventory);
    CHECK(report.overall() == RuleStatus::critical);
    CHECK(report.exit_code() == 2);

    const std::string text = format_report_text(inventory, report);
    CHECK(text.rfind("TOPOLOGY CRITICAL - 1 critical finding, 1 warning; 5 of 8 rules ok, 1 not "
                     "applicable\n",
                     0) == 0);
    CHECK(contains(text, "\nCRITICAL TOPO-SSO-SECRET-SERVER-NAME: "));
    CHECK(contains(text, "\nWARNING TOPO-TRACKING-HOST-INSTANCES: "));
    CHECK(contains(text, "  checklist row 8: Use Windows Clustering"));

    const auto json = nlohmann::ordered_json::parse(format_report_json(inventory, report));
    CHECK(json["schema"] == "ssoescrow-topology-report/1");
    CHECK(json["status"] == "critical");
    CHECK(json["exit_code"] == 2);
    CHECK(json["summary"]["rules_failed"] == 2);
    CHECK(json["inventory"]["cluster"] == "BTCLUS");
    CHECK(json["rules"].size() == all_rules().size());
    std::vector<std::string> keys;
    for (const auto& item : json.items())
        keys.push_back(item.key());
    CHECK(keys == std::vector<std::string>{"schema", "status", "exit_code", "summary", "inventory",
                                           "rules"});
    const auto& rule = json["rules"][3];
    CHECK(rule["id"] == "TOPO-SSO-SECRET-SERVER-NAME");
    CHECK(rule["checklist"]["row"] == 8);
    CHECK(rule["findings"][0]["evidence"]["host_instances"].is_array());

    const auto without_cluster =
        nlohmann::json::parse(format_report_json(no_cluster(), check_topology(no_cluster())));
    CHECK(without_cluster["inventory"]["cluster"].is_null());
    CHECK(without_cluster["status"] == "ok");
}
