// Every inventory under tests/fixtures/topology/ (and invalid/) runs through the loader and the
// rules; its sidecar NAME.expected says the exit code and either the rules that report findings
// or a fragment of the error message.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "src/topology/inventory.hpp"
#include "src/topology/rules.hpp"

namespace fs = std::filesystem;
using namespace ssoescrow::topology;

namespace {

struct Expected {
    int exit_code = -1;
    std::set<std::string> rules;
    std::string error;
};

Expected read_expected(const fs::path& path) {
    std::ifstream in(path);
    REQUIRE(in);
    Expected expected;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        if (line.rfind("exit ", 0) == 0) {
            expected.exit_code = std::stoi(line.substr(5));
        } else if (line.rfind("error: ", 0) == 0) {
            expected.error = line.substr(7);
        } else {
            expected.rules.insert(line);
        }
    }
    return expected;
}

std::vector<fs::path> inventories(const fs::path& dir) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".json")
            found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

const fs::path k_fixtures = fs::path(SSOESCROW_TESTS_DIR) / "fixtures" / "topology";

}  // namespace

TEST_CASE("topology fixtures: each valid inventory fires exactly its expected rules",
          "[topology]") {
    const auto files = inventories(k_fixtures);
    REQUIRE(files.size() >= 17);
    std::set<std::string> fired_somewhere;
    for (const auto& file : files) {
        INFO("fixture " << file.filename().string());
        fs::path sidecar = file;
        sidecar.replace_extension(".expected");
        const Expected expected = read_expected(sidecar);
        REQUIRE(expected.error.empty());

        const auto inventory = load_inventory(file.string());
        REQUIRE(inventory.ok());
        const Report report = check_topology(*inventory);
        std::set<std::string> fired;
        for (const auto& result : report.results) {
            if (!result.findings.empty())
                fired.insert(std::string(result.rule->id));
            // A rule reports findings exactly when its status says it failed.
            CHECK(result.findings.empty() ==
                  (result.status == RuleStatus::ok || result.status == RuleStatus::not_applicable));
            if (result.findings.empty())
                CHECK_FALSE(result.note.empty());
        }
        CHECK(fired == expected.rules);
        CHECK(report.exit_code() == expected.exit_code);
        fired_somewhere.insert(fired.begin(), fired.end());
    }
    // Every rule has at least one failing fixture.
    for (const auto& rule : all_rules()) {
        INFO("rule " << rule.id);
        CHECK(fired_somewhere.count(std::string(rule.id)) == 1);
    }
}

TEST_CASE("topology fixtures: the three supported SSO clustering patterns pass the core rule",
          "[topology]") {
    for (const char* name : {"pattern1-master-and-hosts-in-one-group.json",
                             "pattern2-sso-and-hosts-in-one-group-remote-master.json",
                             "pattern3-hosts-clustered-sso-not-clustered.json"}) {
        INFO("fixture " << name);
        const auto inventory = load_inventory((k_fixtures / name).string());
        REQUIRE(inventory.ok());
        const Report report = check_topology(*inventory);
        REQUIRE(report.results.front().rule->id == "TOPO-SSO-HOSTS-CLUSTERED");
        CHECK(report.results.front().findings.empty());
        CHECK(report.exit_code() == 0);
    }
}

TEST_CASE("topology fixtures: each invalid inventory is refused with its message", "[topology]") {
    const auto files = inventories(k_fixtures / "invalid");
    REQUIRE(files.size() >= 10);
    for (const auto& file : files) {
        INFO("fixture " << file.filename().string());
        fs::path sidecar = file;
        sidecar.replace_extension(".expected");
        const Expected expected = read_expected(sidecar);
        REQUIRE_FALSE(expected.error.empty());
        CHECK(expected.exit_code == 3);

        const auto inventory = load_inventory(file.string());
        REQUIRE_FALSE(inventory.ok());
        const std::string& message = inventory.error().message;
        INFO("message: " << message);
        CHECK(message.rfind(file.string() + ": ", 0) == 0);
        CHECK(message.find(expected.error) != std::string::npos);
    }
}
