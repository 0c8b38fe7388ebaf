#include "src/freshness/cluster_coverage.hpp"

#include <algorithm>

#include "src/topology/names.hpp"

namespace ssoescrow::freshness {

std::string normalize_msid(std::string_view msid) {
    if (msid.size() >= 2 && msid.front() == '{' && msid.back() == '}') {
        msid = msid.substr(1, msid.size() - 2);
    }
    return topology::fold_name(msid);
}

ClusterCoverage compute_cluster_coverage(const std::vector<std::string>& possible_owners,
                                         std::string_view current_msid,
                                         const std::vector<RestoreReceipt>& receipts) {
    const std::string current = normalize_msid(current_msid);
    ClusterCoverage coverage;
    for (const auto& owner : possible_owners) {
        const bool seen = std::any_of(
            coverage.nodes.begin(), coverage.nodes.end(),
            [&](const NodeCoverage& known) { return topology::same_machine(known.node, owner); });
        if (seen)
            continue;

        NodeCoverage node{owner, false, std::nullopt};
        const RestoreReceipt* newest_current = nullptr;
        const RestoreReceipt* newest_other = nullptr;
        for (const auto& receipt : receipts) {
            if (!topology::same_machine(receipt.node, owner))
                continue;
            const bool is_current = !current.empty() && normalize_msid(receipt.msid) == current;
            const RestoreReceipt*& slot = is_current ? newest_current : newest_other;
            if (slot == nullptr || receipt.time > slot->time)
                slot = &receipt;
        }
        if (newest_current != nullptr) {
            node.covered = true;
            node.evidence = *newest_current;
            coverage.covered.push_back(owner);
        } else {
            if (newest_other != nullptr)
                node.evidence = *newest_other;
            coverage.missing.push_back(owner);
        }
        coverage.nodes.push_back(std::move(node));
    }
    for (const auto& receipt : receipts) {
        const bool owner = std::any_of(
            possible_owners.begin(), possible_owners.end(),
            [&](const std::string& name) { return topology::same_machine(name, receipt.node); });
        if (!owner)
            coverage.other_nodes.push_back(receipt);
    }
    return coverage;
}

}  // namespace ssoescrow::freshness
