// The strict inventory reader: every required field, every type, the JSON-level refusals and the
// limits, each with the path or reason the message must name.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "platform/process_info.hpp"
#include "src/topology/inventory.hpp"
#include "src/topology/names.hpp"
#include "src/topology/strict_json.hpp"

using nlohmann::json;
using namespace ssoescrow;
using namespace ssoescrow::topology;

namespace {

// One element in every array, so that every required field exists exactly once.
const char* const k_minimal = R"({
  "schema": "ssoescrow-topology/1",
  "collected_at": "2026-11-20T08:00:00Z",
  "cluster": { "name": "BTCLUS",
    "nodes": [ { "name": "BTS01", "state": "Up" } ],
    "groups": [ { "name": "SSO", "owner_node": "BTS01", "state": "Online" } ],
    "resources": [ { "name": "ENTSSO", "group": "SSO", "type": "Generic Service",
                     "state": "Online", "owner_node": "BTS01", "possible_owners": ["BTS01"],
                     "parameters": { "ServiceName": "ENTSSO", "UseNetworkName": 1,
                                     "Name": "SSOBTS" } } ] },
  "sso": { "secret_server": "SSOBTS" },
  "biztalk": { "group": "BizTalk Group", "sso_server": "SSOBTS", "messagebox_count": 1,
    "servers": ["BTS01"],
    "hosts": [ { "name": "App", "type": "in-process", "tracking": true, "cluster_group": "SSO" } ],
    "host_instances": [ { "host": "App", "server": "BTS01", "cluster_instance_type": 1,
                          "disabled": false } ] },
  "sql": { "instances": [ { "name": "SQLA", "node": "SQL01", "cpu_percent": 40,
                            "memory_percent": 60.5 } ] }
})";

json minimal() {
    return json::parse(k_minimal);
}

Result<Inventory> parse(const json& document) {
    return parse_inventory(document.dump());
}

std::string error_of(const Result<Inventory>& result) {
    REQUIRE_FALSE(result.ok());
    return result.error().message;
}

// JSON pointer ("/cluster/nodes/0/name") to the dotted path messages use ("cluster.nodes[0].name").
std::string dotted(const json::json_pointer& pointer) {
    std::string out;
    std::string rest = pointer.to_string();
    std::size_t pos = 1;
    while (pos <= rest.size()) {
        const std::size_t next = rest.find('/', pos);
        const std::string token =
            rest.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        if (!token.empty() && token.find_first_not_of("0123456789") == std::string::npos) {
            out += "[" + token + "]";
        } else {
            if (!out.empty())
                out += ".";
            out += token;
        }
        if (next == std::string::npos)
            break;
        pos = next + 1;
    }
    return out;
}

// Every leaf and container the schema requires (parameters' keys are optional).
std::vector<json::json_pointer> required_fields() {
    std::vector<json::json_pointer> fields;
    const json flat = minimal().flatten();
    for (const auto& [key, value] : flat.items()) {
        std::string path = key;
        // The keys inside `parameters` are optional; `parameters` itself is required.
        if (const auto at = path.find("/parameters/"); at != std::string::npos) {
            path.erase(at + std::string("/parameters").size());
        }
        json::json_pointer pointer(path);
        // Array elements are not fields: their containing key is.
        while (!pointer.empty() &&
               pointer.back().find_first_not_of("0123456789") == std::string::npos) {
            pointer.pop_back();
        }
        // The leaf and each containing object key are required.
        for (json::json_pointer p = pointer; !p.empty(); p.pop_back()) {
            if (p.back().find_first_not_of("0123456789") == std::string::npos)
                continue;
            bool known = false;
            for (const auto& f : fields)
                known = known || f == p;
            if (!known)
                fields.push_back(p);
        }
    }
    return fields;
}

}  // namespace

TEST_CASE("topology parser: the minimal inventory is read completely", "[topology]") {
    const auto inventory = parse(minimal());
    REQUIRE(inventory.ok());
    REQUIRE(inventory->cluster);
    const Cluster& cluster = *inventory->cluster;
    CHECK(cluster.name == "BTCLUS");
    REQUIRE(cluster.resources.size() == 1);
    CHECK(cluster.resources[0].service_name == std::optional<std::string>("ENTSSO"));
    CHECK(cluster.resources[0].use_network_name == std::optional<std::int64_t>(1));
    CHECK(cluster.resources[0].network_name == std::optional<std::string>("SSOBTS"));
    CHECK(cluster.resources[0].possible_owners == std::vector<std::string>{"BTS01"});
    CHECK(inventory->sso.secret_server == "SSOBTS");
    CHECK(inventory->biztalk.hosts[0].type == HostType::in_process);
    CHECK(inventory->biztalk.hosts[0].cluster_group == "SSO");
    CHECK(inventory->biztalk.host_instances[0].cluster_instance_type == 1);
    REQUIRE(inventory->sql);
    CHECK(inventory->sql->instances[0].memory_percent == Approx(60.5));
}

TEST_CASE("topology parser: every required field missing is named by its path", "[topology]") {
    const auto fields = required_fields();
    REQUIRE(fields.size() >= 35);
    for (const auto& field : fields) {
        json document = minimal();
        document[field.parent_pointer()].erase(field.back());
        const std::string path = dotted(field);
        INFO("removed " << path);
        const auto result = parse(document);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == Errc::parse);
        CHECK(result.error().message == path + ": required field missing");
    }
}

TEST_CASE("topology parser: every field of the wrong type is named by its path", "[topology]") {
    const json flat = minimal().flatten();
    int checked = 0;
    for (const auto& [key, value] : flat.items()) {
        const json::json_pointer pointer(key);
        // A value of another JSON type than the expected one.
        const json wrong = value.is_string() ? json(5) : json("5");
        json document = minimal();
        document[pointer] = wrong;
        const std::string path = dotted(pointer);
        INFO("changed " << path << " to " << wrong.dump());
        const auto result = parse(document);
        if (key == "/schema") {
            CHECK(error_of(result) == "schema: expected a string, found an integer");
            continue;
        }
        REQUIRE_FALSE(result.ok());
        const std::string expected_kind =
            value.is_string()    ? "expected a string"
            : value.is_boolean() ? "expected a boolean"
            : value.is_number_integer() && key.find("percent") == std::string::npos
                ? "expected an integer"
                : "expected a number";
        CHECK(result.error().message.rfind(path + ": " + expected_kind, 0) == 0);
        ++checked;
    }
    CHECK(checked >= 30);

    // Containers of the wrong kind.
    for (const char* pointer : {"/cluster/nodes", "/biztalk/hosts", "/biztalk/servers",
                                "/cluster/resources/0/possible_owners", "/sql/instances"}) {
        json document = minimal();
        document[json::json_pointer(pointer)] = json::object();
        const std::string path = dotted(json::json_pointer(pointer));
        CHECK(error_of(parse(document)) == path + ": expected an array, found an object");
    }
    for (const char* pointer : {"/sso", "/biztalk", "/cluster/resources/0/parameters"}) {
        json document = minimal();
        document[json::json_pointer(pointer)] = json::array();
        const std::string path = dotted(json::json_pointer(pointer));
        CHECK(error_of(parse(document)) == path + ": expected an object, found an array");
    }
    json document = minimal();
    document["cluster"] = "BTCLUS";
    CHECK(error_of(parse(document)) == "cluster: expected an object or null, found a string");
    document = minimal();
    document["cluster"]["nodes"][0] = "BTS01";
    CHECK(error_of(parse(document)) == "cluster.nodes[0]: expected an object, found a string");
    CHECK(error_of(parse_inventory("[]")) == "(root): expected an object, found an array");
}

TEST_CASE("topology parser: nullable sections and optional parameters", "[topology]") {
    json document = minimal();
    document["cluster"] = nullptr;
    document["sql"] = nullptr;
    const auto inventory = parse(document);
    REQUIRE(inventory.ok());
    CHECK_FALSE(inventory->cluster);
    CHECK_FALSE(inventory->sql);

    document = minimal();
    document["cluster"]["resources"][0]["parameters"] = json::object();
    document["extra"] = {{"anything", {1, 2, 3}}};
    document["biztalk"]["hosts"][0]["description"] = "ignored";
    const auto bare = parse(document);
    REQUIRE(bare.ok());
    CHECK_FALSE(bare->cluster->resources[0].service_name);
    CHECK_FALSE(bare->cluster->resources[0].use_network_name);
    CHECK_FALSE(bare->cluster->resources[0].network_name);

    document = minimal();
    document["cluster"]["resources"][0]["parameters"]["UseNetworkName"] = true;
    CHECK(error_of(parse(document)) ==
          "cluster.resources[0].parameters.UseNetworkName: expected an integer, found a boolean");
    document["cluster"]["resources"][0]["parameters"]["UseNetworkName"] = -1;
    CHECK(error_of(parse(document))
              .rfind("cluster.resources[0].parameters.UseNetworkName: must be an integer from 0 to",
                     0) == 0);
    document = minimal();
    document["cluster"]["resources"][0]["parameters"]["Name"] = "";
    CHECK(error_of(parse(document)) == "cluster.resources[0].parameters.Name: must not be empty");
}

TEST_CASE("topology parser: schema versions", "[topology]") {
    json document = minimal();
    document["schema"] = "ssoescrow-topology/2";
    auto result = parse(document);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == Errc::unsupported_version);
    CHECK(result.error().message ==
          "schema: unsupported inventory schema \"ssoescrow-topology/2\" (this build reads "
          "ssoescrow-topology/1)");
    CHECK_FALSE(result.error().hint.empty());

    document["schema"] = "SSOESCROW-TOPOLOGY/1";
    result = parse(document);
    CHECK(result.error().code == Errc::parse);
    CHECK(result.error().message.find("is not an ssoescrow topology inventory") !=
          std::string::npos);
}

TEST_CASE("topology parser: values out of range or not allowed", "[topology]") {
    struct Case {
        const char* pointer;
        json value;
        const char* message;
    };
    const std::vector<Case> cases{
        {"/biztalk/messagebox_count", 0,
         "biztalk.messagebox_count: must be an integer from 1 to 1000, found 0"},
        {"/biztalk/messagebox_count", 1.0,
         "biztalk.messagebox_count: expected an integer, found a non-integer number"},
        {"/biztalk/messagebox_count", json(18446744073709551615ull),
         "biztalk.messagebox_count: must be an integer from 1 to 1000, found "
         "18446744073709551615"},
        {"/biztalk/host_instances/0/cluster_instance_type", 3,
         "biztalk.host_instances[0].cluster_instance_type: must be an integer from 0 to 2, "
         "found 3"},
        {"/biztalk/hosts/0/type", "Isolated",
         "biztalk.hosts[0].type: must be \"in-process\" or \"isolated\", found \"Isolated\""},
        {"/sql/instances/0/cpu_percent", 100.5,
         "sql.instances[0].cpu_percent: must be a percentage from 0 to 100, found 100.5"},
        {"/sql/instances/0/memory_percent", -1,
         "sql.instances[0].memory_percent: must be a percentage from 0 to 100, found -1"},
        {"/cluster/nodes/0/name", "", "cluster.nodes[0].name: must not be empty"},
        {"/sso/secret_server", "", "sso.secret_server: must not be empty"},
        {"/biztalk/servers/0", "", "biztalk.servers[0]: must not be empty"},
        {"/cluster/name", "BT\x1b[31mCLUS",
         "cluster.name: contains a control character (BT\\x1b[31mCLUS)"},
        {"/biztalk/hosts/0/name",
         "App\xc2\x9b"
         "31m",
         "biztalk.hosts[0].name: contains a control character (App\\xc2\\x9b31m)"},
        {"/collected_at", "2026-11-20T08:00:00+01:00",
         "collected_at: expected an RFC 3339 UTC time such as 2026-01-31T08:00:00Z, found "
         "\"2026-11-20T08:00:00+01:00\""},
        {"/collected_at", "2026-02-29T08:00:00Z", "collected_at: expected an RFC 3339 UTC time"},
        {"/collected_at", "2026-11-20T24:00:00Z", "collected_at: expected an RFC 3339 UTC time"},
        {"/collected_at", "2026-11-20T08:00:00.Z", "collected_at: expected an RFC 3339 UTC time"},
    };
    for (const auto& c : cases) {
        json document = minimal();
        document[json::json_pointer(c.pointer)] = c.value;
        INFO(c.pointer << " = " << c.value.dump());
        CHECK(error_of(parse(document)).rfind(c.message, 0) == 0);
    }
    for (const char* good : {"2024-02-29T23:59:60Z", "2026-11-20T08:00:00.123456789Z"}) {
        json document = minimal();
        document["collected_at"] = good;
        CHECK(parse(document).ok());
    }
}

TEST_CASE("topology parser: references and duplicate names", "[topology]") {
    json document = minimal();
    document["cluster"]["resources"][0]["group"] = "Other";
    CHECK(error_of(parse(document)) ==
          "cluster.resources[0].group: group \"Other\" is not listed in cluster.groups");

    document = minimal();
    document["cluster"]["resources"][0]["possible_owners"].push_back("bts01");
    CHECK(error_of(parse(document))
              .rfind("cluster.resources[0].possible_owners[1]: duplicate possible owner \"bts01\"",
                     0) == 0);

    document = minimal();
    document["biztalk"]["host_instances"][0]["host"] = "Missing";
    CHECK(error_of(parse(document)) ==
          "biztalk.host_instances[0].host: host \"Missing\" is not listed in biztalk.hosts");

    document = minimal();
    document["biztalk"]["host_instances"][0]["server"] = "BTS09";
    CHECK(error_of(parse(document)) ==
          "biztalk.host_instances[0].server: server \"BTS09\" is not listed in biztalk.servers");

    document = minimal();
    document["biztalk"]["host_instances"].push_back(document["biztalk"]["host_instances"][0]);
    document["biztalk"]["host_instances"][1]["host"] = "APP";
    CHECK(
        error_of(parse(document)).rfind("biztalk.host_instances[1]: duplicate host instance", 0) ==
        0);

    for (const char* list :
         {"/cluster/groups", "/cluster/resources", "/biztalk/hosts", "/sql/instances"}) {
        document = minimal();
        json& array = document[json::json_pointer(list)];
        array.push_back(array[0]);
        INFO(list);
        CHECK(error_of(parse(document))
                  .find(dotted(json::json_pointer(list)) + "[1].name: duplicate") == 0);
    }
    document = minimal();
    document["biztalk"]["servers"].push_back("Bts01");
    CHECK(error_of(parse(document)) ==
          "biztalk.servers[1]: duplicate server name \"Bts01\" (also at biztalk.servers[0]; names "
          "are compared ignoring case)");
}

TEST_CASE("strict JSON: duplicate keys are refused at every level", "[topology]") {
    auto result = parse_strict_json(R"({"a": 1, "a": 1})");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == "(root): duplicate key \"a\"");

    result = parse_strict_json(R"({"x": [ {"b": 1}, {"b": 2, "c": {"d": 1, "d": 2}} ]})");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == "x[1].c: duplicate key \"d\"");

    std::string text = k_minimal;
    text.replace(text.find("\"secret_server\""), 0, "\"secret_server\": \"BTCLUS\", ");
    const auto inventory = parse_inventory(text);
    REQUIRE_FALSE(inventory.ok());
    CHECK(inventory.error().message == "sso: duplicate key \"secret_server\"");
    // The same key in sibling objects is fine.
    CHECK(parse_strict_json(R"([{"a": 1}, {"a": 2}])").ok());
}

TEST_CASE("strict JSON: malformed input is refused without echoing raw bytes", "[topology]") {
    const std::vector<std::string> bad{
        "",
        "{",
        R"({"a": 1} x)",
        R"({"a": 1}{})",
        R"({"a": tru})",
        R"({"a": 1,})",
        R"({"a": "x" /* c */})",
        std::string("{\"a\": \"\xc3\x28\"}"),
        std::string("{\"a\": \"\xff\"}"),
        std::string("{\"a\": \"x\0y\"}", 12),
        std::string("{\"a\": 1}\0", 9),
        std::string("{\"a\": 1}\0{\"b\": 2}", 17),
        "{\"a\": \"line\nbreak\"}",
    };
    for (const auto& text : bad) {
        INFO("input " << printable(text));
        const auto result = parse_strict_json(text);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().code == Errc::parse);
        for (const char c : result.error().message) {
            CHECK((static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f));
        }
    }
    // A UTF-8 byte-order mark is accepted; UTF-16 is refused with a hint.
    CHECK(parse_strict_json("\xef\xbb\xbf{\"a\": 1}").ok());
    const auto utf16 = parse_strict_json(std::string("\xff\xfe{\0}\0", 6));
    REQUIRE_FALSE(utf16.ok());
    CHECK(utf16.error().message == "document is UTF-16 encoded; JSON must be UTF-8");
    CHECK(utf16.error().hint.find("-OutFile") != std::string::npos);
    // An escaped NUL is valid JSON but refused in a name.
    std::string text = k_minimal;
    const std::string field = "\"secret_server\": \"SSOBTS\"";
    text.replace(text.find(field), field.size(), "\"secret_server\": \"SSO\\u0000BTS\"");
    CHECK(error_of(parse_inventory(text)) ==
          "sso.secret_server: contains a control character (SSO\\x00BTS)");
}

TEST_CASE("strict JSON: limits are enforced before building large values", "[topology]") {
    StrictJsonLimits limits;

    std::string deep(limits.max_depth, '[');
    deep += std::string(limits.max_depth, ']');
    CHECK(parse_strict_json(deep).ok());
    const auto too_deep = parse_strict_json("[" + deep + "]");
    REQUIRE_FALSE(too_deep.ok());
    CHECK(too_deep.error().code == Errc::limit_exceeded);
    CHECK(too_deep.error().message.find("nested deeper than 16 levels") != std::string::npos);

    std::string wide = "[0";
    for (std::size_t i = 1; i < limits.max_array_items; ++i)
        wide += ",0";
    CHECK(parse_strict_json(wide + "]").ok());
    const auto too_wide = parse_strict_json("{\"list\": " + wide + ",0]}");
    REQUIRE_FALSE(too_wide.ok());
    CHECK(too_wide.error().code == Errc::limit_exceeded);
    CHECK(too_wide.error().message == "list: array has more than 10000 elements");

    const std::string long_string(limits.max_string_bytes + 1, 'a');
    const auto too_long = parse_strict_json("{\"name\": \"" + long_string + "\"}");
    REQUIRE_FALSE(too_long.ok());
    CHECK(too_long.error().code == Errc::limit_exceeded);
    CHECK(too_long.error().message == "name: string longer than 65536 bytes");
    const auto long_key = parse_strict_json("{\"" + long_string + "\": 1}");
    REQUIRE_FALSE(long_key.ok());
    CHECK(long_key.error().code == Errc::limit_exceeded);

    const std::string huge(limits.max_input_bytes + 1, ' ');
    const auto too_big = parse_strict_json(huge);
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().code == Errc::limit_exceeded);
}

TEST_CASE("topology loader: file errors name the file", "[topology]") {
    const auto dir =
        std::filesystem::temp_directory_path() /
        ("ssoescrow-topology-" + std::to_string(ssoescrow::platform::current_process_id()));
    std::filesystem::create_directories(dir);

    const auto missing = load_inventory((dir / "missing.json").string());
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == Errc::not_found);
    CHECK(missing.error().message.find("missing.json\" does not exist") != std::string::npos);
    CHECK(missing.error().hint.find("collect-topology.ps1") != std::string::npos);

    const auto directory = load_inventory(dir.string());
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error().message.find("is a directory, not a regular file") !=
          std::string::npos);

    const auto big = dir / "big.json";
    { std::ofstream(big) << ' '; }
    std::filesystem::resize_file(big, 16u * 1024u * 1024u + 1);
    const auto oversized = load_inventory(big.string());
    REQUIRE_FALSE(oversized.ok());
    CHECK(oversized.error().code == Errc::limit_exceeded);
    CHECK(oversized.error().message.find("above the 16777216-byte limit") != std::string::npos);

    const auto bad = dir / "bad.json";
    { std::ofstream(bad) << "{\"schema\": 1}"; }
    const auto invalid = load_inventory(bad.string());
    REQUIRE_FALSE(invalid.ok());
    CHECK(invalid.error().message ==
          bad.string() + ": schema: expected a string, found an integer");
    CHECK_FALSE(invalid.error().hint.empty());

    const auto good = dir / "good.json";
    { std::ofstream(good) << k_minimal; }
    CHECK(load_inventory(good.string()).ok());
    std::filesystem::remove_all(dir);
}

TEST_CASE("topology names: compared as Windows compares them", "[topology]") {
    CHECK(same_name("BizTalkServerApplication", "biztalkserverapplication"));
    CHECK_FALSE(same_name("BTS01", "BTS1"));
    CHECK_FALSE(same_name("\xc3\x84", "\xc3\xa4"));  // non-ASCII letters compare exactly
    CHECK(fold_name("SSO-BizTalk") == "sso-biztalk");
    CHECK(same_machine("BTS01", "bts01.contoso.com"));
    CHECK(same_machine("bts01.CONTOSO.com", "BTS01"));
    CHECK(same_machine("bts01.contoso.com", "BTS01.contoso.COM"));
    CHECK_FALSE(same_machine("bts01.contoso.com", "bts01.fabrikam.com"));
    CHECK_FALSE(same_machine("BTS01", "BTS010.contoso.com"));
    CHECK_FALSE(same_machine("", ".contoso.com"));
}
