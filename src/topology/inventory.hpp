// The topology inventory, schema `ssoescrow-topology/1` (vault/FORMAT.md section 6; written by
// scripts/windows/collect-topology.ps1). The schema is a published contract:
//
//   { "schema": "ssoescrow-topology/1", "collected_at": "RFC 3339 UTC",
//     "cluster": null | { "name": "...",
//        "nodes":     [ { "name": "NODE1", "state": "Up" } ],
//        "groups":    [ { "name": "SSO", "owner_node": "NODE1", "state": "Online" } ],
//        "resources": [ { "name": "ENTSSO", "group": "SSO", "type": "Generic Service",
//                         "state": "Online", "owner_node": "NODE1",
//                         "possible_owners": ["NODE1", "NODE2"],
//                         "parameters": { "ServiceName": "ENTSSO", "UseNetworkName": 1 } } ] },
//     "sso":     { "secret_server": "SSONAME" },
//     "biztalk": { "group": "BizTalk Group", "sso_server": "SSONAME", "messagebox_count": 1,
//        "servers": ["NODE1", "NODE2"],
//        "hosts": [ { "name": "BizTalkServerApplication", "type": "in-process" | "isolated",
//                     "tracking": true, "cluster_group": "" } ],
//        "host_instances": [ { "host": "BizTalkServerApplication", "server": "NODE1",
//                              "cluster_instance_type": 0, "disabled": false } ] },
//     "sql": null | { "instances": [ { "name": "SQLA", "node": "NODE3", "cpu_percent": 40,
//                                      "memory_percent": 60 } ] } }
//
// Reading rules (each violation is an Errc::parse error naming the JSON path, e.g.
// `cluster.resources[2].parameters.ServiceName: expected a string, found a number`):
// - every key shown above is required; `cluster` and `sql` may be null; unknown keys are ignored;
// - `schema` other than "ssoescrow-topology/1" is refused (Errc::unsupported_version for a later
//   ssoescrow-topology/N);
// - `parameters` is required, but each of its keys is optional: `ServiceName` (string) marks a
//   Generic Service, `UseNetworkName` (integer 0 or 1) its "use network name" flag, `Name` (string)
//   a Network Name resource; other parameters are ignored;
// - names (nodes, groups, resources, hosts, servers, instances' host/server, possible owners,
//   secret server) are non-empty; no string may contain control characters;
// - integers are JSON integers (1.0 is refused): messagebox_count 1..1000, cluster_instance_type
//   0 (unclustered), 1 (clustered) or 2 (clustered virtual); percentages are numbers 0..100;
// - consistency: names are unique (case-insensitively) within nodes, groups, resources, hosts,
//   servers, SQL instances and (host, server) pairs; a resource's group, its possible owners and
//   an instance's host and server must be listed;
// - the strict JSON layer (strict_json.hpp) refuses duplicate keys, invalid UTF-8, NUL, trailing
//   data, nesting deeper than 16, arrays above 10000 elements, files above 16 MiB.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"

namespace ssoescrow::topology {

inline constexpr std::string_view k_inventory_schema = "ssoescrow-topology/1";

struct ClusterNode {
    std::string name;
    std::string state;
};

struct ClusterGroup {
    std::string name;
    std::string owner_node;
    std::string state;
};

struct ClusterResource {
    std::string name;
    std::string group;
    std::string type;
    std::string state;
    std::string owner_node;
    std::vector<std::string> possible_owners;
    std::optional<std::string> service_name;       // parameters.ServiceName (Generic Service)
    std::optional<std::int64_t> use_network_name;  // parameters.UseNetworkName
    std::optional<std::string> network_name;       // parameters.Name (Network Name)
};

struct Cluster {
    std::string name;
    std::vector<ClusterNode> nodes;
    std::vector<ClusterGroup> groups;
    std::vector<ClusterResource> resources;
};

struct SsoSettings {
    std::string secret_server;
};

enum class HostType { in_process, isolated };

struct BizTalkHost {
    std::string name;
    HostType type = HostType::in_process;
    bool tracking = false;
    std::string cluster_group;  // empty: not clustered

    bool clustered() const noexcept { return !cluster_group.empty(); }
};

struct HostInstance {
    std::string host;
    std::string server;
    std::int64_t cluster_instance_type = 0;  // 0 unclustered, 1 clustered, 2 clustered virtual
    bool disabled = false;
};

struct BizTalkGroup {
    std::string group;
    std::string sso_server;
    std::int64_t messagebox_count = 1;
    std::vector<std::string> servers;
    std::vector<BizTalkHost> hosts;
    std::vector<HostInstance> host_instances;
};

struct SqlInstance {
    std::string name;
    std::string node;
    double cpu_percent = 0;
    double memory_percent = 0;
};

struct SqlLoad {
    std::vector<SqlInstance> instances;
};

struct Inventory {
    std::string collected_at;
    std::optional<Cluster> cluster;
    SsoSettings sso;
    BizTalkGroup biztalk;
    std::optional<SqlLoad> sql;
};

// Parses and validates an inventory document held in memory (the fuzz target's entry point).
// Error messages name the JSON path but not the file.
Result<Inventory> parse_inventory(std::string_view text);

// Reads `path` (refusing anything but a regular file, and files above 16 MiB before reading)
// and parses it; error messages start with the file name.
Result<Inventory> load_inventory(const std::string& path);

}  // namespace ssoescrow::topology
