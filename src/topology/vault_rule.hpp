// The rule `topology check --vault DIR` adds: every possible owner node of the clustered ENTSSO
// resource holds the vault's current master secret. The secret lives in each node's local
// registry, so it must be restored on every node that can own the SSO group
// (reference/entsso-facts.md, "Clustering the master secret server"); a node without it stops
// SSO when the group fails over to it.
//
//   TOPO-SSO-NODES-HOLD-SECRET   critical   (checklist row 9: back up the SSO master secret)
//
// The vault's current MSID is the newest verified backup's (with a known MSID); a node holds it
// when the vault has a restore receipt for it on that node, or a backup of it was taken there.
// Coverage is computed by freshness::compute_cluster_coverage over freshness::node_receipts, the
// same logic as `status`'s cluster-coverage check.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "src/freshness/cluster_coverage.hpp"
#include "src/topology/inventory.hpp"
#include "src/topology/rules.hpp"

namespace ssoescrow::topology {

struct VaultSecret {
    std::string vault;  // the directory, as given
    // The newest verified backup with a known MSID; empty msid: the vault has none.
    std::string msid;
    std::string backup_id;
    std::string backup_created;  // RFC 3339
    std::vector<freshness::RestoreReceipt> receipts;
};

const RuleInfo& nodes_hold_secret_rule();

// Pure: no I/O. Not applicable without a clustered ENTSSO resource in the inventory.
RuleResult rule_nodes_hold_secret(const Inventory& inventory, const VaultSecret& secret);

}  // namespace ssoescrow::topology
