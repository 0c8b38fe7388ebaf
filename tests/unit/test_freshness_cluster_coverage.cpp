// Which possible owners of the SSO group hold a restore receipt for the current MSID.
#include <catch2/catch.hpp>

#include <chrono>

#include "src/freshness/cluster_coverage.hpp"

using namespace ssoescrow::freshness;
using std::chrono::sys_seconds;

namespace {

constexpr const char* k_current = "{6F9619FF-8B86-D011-B42D-00C04FC964FF}";
constexpr const char* k_previous = "1b4e28ba-2fa1-11d2-883f-0016d3cca427";

RestoreReceipt receipt(const char* node, const char* msid, long seconds, const char* backup) {
    return RestoreReceipt{node, msid, sys_seconds{std::chrono::seconds{seconds}}, backup};
}

}  // namespace

TEST_CASE("cluster coverage: every owner with the current MSID is covered", "[freshness]") {
    const auto coverage = compute_cluster_coverage(
        {"BTS01", "BTS02"}, k_current,
        {receipt("BTS01", k_current, 100, "b-1"),
         receipt("bts02.contoso.com", "6f9619ff-8b86-d011-b42d-00c04fc964ff", 200, "b-1")});
    CHECK(coverage.complete());
    CHECK(coverage.covered == std::vector<std::string>{"BTS01", "BTS02"});
    CHECK(coverage.missing.empty());
    REQUIRE(coverage.nodes.size() == 2);
    REQUIRE(coverage.nodes[1].evidence);
    CHECK(coverage.nodes[1].evidence->node == "bts02.contoso.com");
    CHECK(coverage.other_nodes.empty());
}

TEST_CASE("cluster coverage: a node with only an older MSID is missing, with evidence",
          "[freshness]") {
    const auto coverage = compute_cluster_coverage(
        {"BTS01", "BTS02", "BTS03"}, k_current,
        {receipt("BTS01", k_current, 300, "b-2"), receipt("BTS02", k_previous, 100, "b-1"),
         receipt("BTS02", k_previous, 150, "b-1b"), receipt("BTS09", k_current, 300, "b-2")});
    CHECK_FALSE(coverage.complete());
    CHECK(coverage.covered == std::vector<std::string>{"BTS01"});
    CHECK(coverage.missing == std::vector<std::string>{"BTS02", "BTS03"});
    REQUIRE(coverage.nodes.size() == 3);
    CHECK_FALSE(coverage.nodes[1].covered);
    REQUIRE(coverage.nodes[1].evidence);
    CHECK(coverage.nodes[1].evidence->backup_id == "b-1b");  // the newest stale receipt
    CHECK_FALSE(coverage.nodes[2].evidence);
    REQUIRE(coverage.other_nodes.size() == 1);
    CHECK(coverage.other_nodes[0].node == "BTS09");
}

TEST_CASE("cluster coverage: the newest current receipt is the evidence", "[freshness]") {
    const auto coverage = compute_cluster_coverage(
        {"BTS01"}, k_current,
        {receipt("BTS01", k_current, 100, "old"), receipt("BTS01", k_current, 500, "new"),
         receipt("BTS01", k_previous, 900, "stale")});
    REQUIRE(coverage.nodes.size() == 1);
    CHECK(coverage.nodes[0].covered);
    CHECK(coverage.nodes[0].evidence->backup_id == "new");
}

TEST_CASE("cluster coverage: duplicate owners, empty inputs", "[freshness]") {
    auto coverage =
        compute_cluster_coverage({"BTS01", "bts01", "BTS01.contoso.com"}, k_current, {});
    CHECK(coverage.nodes.size() == 1);
    CHECK(coverage.missing == std::vector<std::string>{"BTS01"});

    coverage = compute_cluster_coverage({}, k_current, {receipt("BTS01", k_current, 1, "b")});
    CHECK(coverage.complete());
    CHECK(coverage.other_nodes.size() == 1);

    // Without a current MSID nothing can be covered.
    coverage = compute_cluster_coverage({"BTS01"}, "", {receipt("BTS01", "", 1, "b")});
    CHECK(coverage.missing == std::vector<std::string>{"BTS01"});
}

TEST_CASE("cluster coverage: MSIDs compare without case and braces", "[freshness]") {
    CHECK(normalize_msid("{6F9619FF-8B86-D011-B42D-00C04FC964FF}") ==
          "6f9619ff-8b86-d011-b42d-00c04fc964ff");
    CHECK(normalize_msid("6f9619ff-8b86-d011-b42d-00c04fc964ff") ==
          "6f9619ff-8b86-d011-b42d-00c04fc964ff");
    CHECK(normalize_msid("{") == "{");
}
