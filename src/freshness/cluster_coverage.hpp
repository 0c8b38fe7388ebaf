// Which nodes of the SSO cluster group hold the current master secret.
//
// The master secret lives in each node's local registry, so it must be restored on every node
// that can own the SSO cluster group (reference/entsso-facts.md, "Clustering the master secret
// server"). A restore on a node leaves a receipt {node, MSID, time, backup id} in the vault; a
// node is covered when it has a receipt for the current MSID. Shared by `status` (freshness) and
// `topology check --vault`, so both always agree.
//
// Node names compare as Windows compares them (topology/names.hpp: ASCII case folding, short name
// = first label of a DNS name). MSIDs are GUIDs and compare case-insensitively, with or without
// surrounding braces.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssoescrow::freshness {

struct RestoreReceipt {
    std::string node;
    std::string msid;
    std::chrono::sys_seconds time;
    std::string backup_id;
};

struct NodeCoverage {
    std::string node;  // as named by the cluster (possible owner list)
    bool covered = false;
    // Covered: the newest receipt for the current MSID. Missing: the node's newest receipt for
    // another MSID (a stale secret), if any.
    std::optional<RestoreReceipt> evidence;
};

struct ClusterCoverage {
    std::vector<NodeCoverage> nodes;          // one per possible owner, in the given order
    std::vector<std::string> covered;         // node names with the current MSID
    std::vector<std::string> missing;         // node names without it
    std::vector<RestoreReceipt> other_nodes;  // receipts for machines that are not owners

    bool complete() const noexcept { return missing.empty(); }
};

// Canonical form of an MSID for comparison: braces removed, ASCII lower case.
std::string normalize_msid(std::string_view msid);

// Pure: no I/O. Duplicate owners (same machine twice) are reported once. An empty owner list
// gives an empty (and complete) coverage; callers decide whether that is meaningful.
ClusterCoverage compute_cluster_coverage(const std::vector<std::string>& possible_owners,
                                         std::string_view current_msid,
                                         const std::vector<RestoreReceipt>& receipts);

}  // namespace ssoescrow::freshness
