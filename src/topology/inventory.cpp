#include "src/topology/inventory.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/topology/names.hpp"
#include "src/topology/strict_json.hpp"

namespace ssoescrow::topology {

namespace {

using nlohmann::json;

constexpr std::int64_t k_max_messageboxes = 1000;

std::string child(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string element(const std::string& path, std::size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

std::string quote_text(std::string_view text) {
    // Built front to back: `"\"" + std::string` inserts at position 0 of a temporary, in which
    // GCC 12 sees a memcpy overlap that cannot happen (-Wrestrict, GCC bug 105651).
    std::string quoted = "\"";
    quoted += printable(text);
    quoted += '"';
    return quoted;
}

std::string type_name(const json& value) {
    switch (value.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            return "an integer";
        case json::value_t::number_float:
            return "a non-integer number";
        case json::value_t::string:
            return "a string";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        default:
            return "an unsupported value";
    }
}

Error field_error(const std::string& path, const std::string& message) {
    return make_error(Errc::parse, describe_json_path(path) + ": " + message);
}

Result<const json*> member(const json& object, const std::string& path, std::string_view key) {
    const auto found = object.find(key);
    if (found == object.end())
        return field_error(child(path, key), "required field missing");
    return &*found;
}

enum class Empty { allowed, refused };

Result<std::string> string_value(const json& value, const std::string& path, Empty empty) {
    if (!value.is_string())
        return field_error(path, "expected a string, found " + type_name(value));
    std::string text = value.get<std::string>();
    // C0 controls, DEL, and C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F): names end up on
    // an administrator's terminal, where these would be escape sequences.
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const bool c1 = byte == 0xc2 && i + 1 < text.size() &&
                        static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                        static_cast<unsigned char>(text[i + 1]) <= 0x9f;
        if (byte < 0x20 || byte == 0x7f || c1) {
            return field_error(path, "contains a control character (" + printable(text) + ")");
        }
    }
    if (empty == Empty::refused && text.empty())
        return field_error(path, "must not be empty");
    return text;
}

Result<std::string> read_string(const json& object, const std::string& path, std::string_view key,
                                Empty empty) {
    TRY_ASSIGN(const json* value, member(object, path, key));
    return string_value(*value, child(path, key), empty);
}

Result<bool> read_bool(const json& object, const std::string& path, std::string_view key) {
    TRY_ASSIGN(const json* value, member(object, path, key));
    if (!value->is_boolean()) {
        return field_error(child(path, key), "expected a boolean, found " + type_name(*value));
    }
    return value->get<bool>();
}

Result<std::int64_t> integer_value(const json& value, const std::string& path, std::int64_t min,
                                   std::int64_t max) {
    if (!value.is_number_integer()) {
        return field_error(path, "expected an integer, found " + type_name(value));
    }
    bool in_range = false;
    std::int64_t number = 0;
    if (value.is_number_unsigned()) {
        const auto unsigned_number = value.get<std::uint64_t>();
        in_range = unsigned_number <= static_cast<std::uint64_t>(max);
        number = in_range ? static_cast<std::int64_t>(unsigned_number) : max;
    } else {
        number = value.get<std::int64_t>();
        in_range = number <= max;
    }
    if (!in_range || number < min) {
        return field_error(path, "must be an integer from " + std::to_string(min) + " to " +
                                     std::to_string(max) + ", found " + value.dump());
    }
    return number;
}

Result<std::int64_t> read_integer(const json& object, const std::string& path, std::string_view key,
                                  std::int64_t min, std::int64_t max) {
    TRY_ASSIGN(const json* value, member(object, path, key));
    return integer_value(*value, child(path, key), min, max);
}

Result<double> read_percent(const json& object, const std::string& path, std::string_view key) {
    TRY_ASSIGN(const json* value, member(object, path, key));
    if (!value->is_number()) {
        return field_error(child(path, key), "expected a number, found " + type_name(*value));
    }
    const double number = value->get<double>();
    if (!(number >= 0.0 && number <= 100.0)) {
        return field_error(child(path, key),
                           "must be a percentage from 0 to 100, found " + value->dump());
    }
    return number;
}

Result<const json*> read_object(const json& object, const std::string& path, std::string_view key) {
    TRY_ASSIGN(const json* value, member(object, path, key));
    if (!value->is_object()) {
        return field_error(child(path, key), "expected an object, found " + type_name(*value));
    }
    return value;
}

// Required key whose value is an object or null: returns nullptr for null.
Result<const json*> read_nullable_object(const json& object, const std::string& path,
                                         std::string_view key) {
    TRY_ASSIGN(const json* value, member(object, path, key));
    if (value->is_null())
        return static_cast<const json*>(nullptr);
    if (!value->is_object()) {
        return field_error(child(path, key),
                           "expected an object or null, found " + type_name(*value));
    }
    return value;
}

Result<const json*> read_array(const json& object, const std::string& path, std::string_view key) {
    TRY_ASSIGN(const json* value, member(object, path, key));
    if (!value->is_array()) {
        return field_error(child(path, key), "expected an array, found " + type_name(*value));
    }
    return value;
}

Status expect_object(const json& value, const std::string& path) {
    if (!value.is_object()) {
        return field_error(path, "expected an object, found " + type_name(value));
    }
    return {};
}

Result<std::vector<std::string>> read_name_list(const json& object, const std::string& path,
                                                std::string_view key) {
    TRY_ASSIGN(const json* array, read_array(object, path, key));
    std::vector<std::string> names;
    names.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
        TRY_ASSIGN(std::string name,
                   string_value((*array)[i], element(child(path, key), i), Empty::refused));
        names.push_back(std::move(name));
    }
    return names;
}

// RFC 3339 in UTC: YYYY-MM-DDTHH:MM:SS[.fraction]Z.
bool is_rfc3339_utc(std::string_view text) {
    auto digits = [&](std::size_t pos, std::size_t count, int& out) {
        if (pos + count > text.size())
            return false;
        out = 0;
        for (std::size_t i = pos; i < pos + count; ++i) {
            if (text[i] < '0' || text[i] > '9')
                return false;
            out = out * 10 + (text[i] - '0');
        }
        return true;
    };
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(0, 4, year) || text.size() < 20 || text[4] != '-' || !digits(5, 2, month) ||
        text[7] != '-' || !digits(8, 2, day) || text[10] != 'T' || !digits(11, 2, hour) ||
        text[13] != ':' || !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second)) {
        return false;
    }
    std::size_t pos = 19;
    if (text[pos] == '.') {
        const std::size_t start = ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
            ++pos;
        if (pos == start || pos - start > 9)
            return false;
    }
    if (pos + 1 != text.size() || text[pos] != 'Z')
        return false;
    static constexpr int k_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > k_days[month - 1])
        return false;
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap)
        return false;
    return hour <= 23 && minute <= 59 && second <= 60;
}

// Case-insensitive uniqueness of names within one list; remembers where each name came from.
class UniqueNames {
  public:
    explicit UniqueNames(std::string what) : m_what(std::move(what)) {}

    // `key` identifies the entry; `shown` is how the message names it (default: the key).
    Status add(const std::string& key, const std::string& path, const std::string& shown = {}) {
        const auto [where, inserted] = m_seen.emplace(fold_name(key), path);
        if (!inserted) {
            return field_error(path, "duplicate " + m_what + " " +
                                         quote_text(shown.empty() ? key : shown) + " (also at " +
                                         where->second + "; names are compared ignoring case)");
        }
        return {};
    }
    bool contains(const std::string& name) const { return m_seen.count(fold_name(name)) != 0; }

  private:
    std::string m_what;
    std::map<std::string, std::string> m_seen;
};

Result<Cluster> parse_cluster(const json& object, const std::string& path) {
    Cluster cluster;
    TRY_ASSIGN(cluster.name, read_string(object, path, "name", Empty::refused));

    UniqueNames node_names("node name");
    TRY_ASSIGN(const json* nodes, read_array(object, path, "nodes"));
    for (std::size_t i = 0; i < nodes->size(); ++i) {
        const std::string at = element(child(path, "nodes"), i);
        const json& item = (*nodes)[i];
        TRY(expect_object(item, at));
        ClusterNode node;
        TRY_ASSIGN(node.name, read_string(item, at, "name", Empty::refused));
        TRY_ASSIGN(node.state, read_string(item, at, "state", Empty::allowed));
        TRY(node_names.add(node.name, child(at, "name")));
        cluster.nodes.push_back(std::move(node));
    }

    UniqueNames group_names("group name");
    TRY_ASSIGN(const json* groups, read_array(object, path, "groups"));
    for (std::size_t i = 0; i < groups->size(); ++i) {
        const std::string at = element(child(path, "groups"), i);
        const json& item = (*groups)[i];
        TRY(expect_object(item, at));
        ClusterGroup group;
        TRY_ASSIGN(group.name, read_string(item, at, "name", Empty::refused));
        TRY_ASSIGN(group.owner_node, read_string(item, at, "owner_node", Empty::allowed));
        TRY_ASSIGN(group.state, read_string(item, at, "state", Empty::allowed));
        TRY(group_names.add(group.name, child(at, "name")));
        cluster.groups.push_back(std::move(group));
    }

    UniqueNames resource_names("resource name");
    TRY_ASSIGN(const json* resources, read_array(object, path, "resources"));
    for (std::size_t i = 0; i < resources->size(); ++i) {
        const std::string at = element(child(path, "resources"), i);
        const json& item = (*resources)[i];
        TRY(expect_object(item, at));
        ClusterResource resource;
        TRY_ASSIGN(resource.name, read_string(item, at, "name", Empty::refused));
        TRY_ASSIGN(resource.group, read_string(item, at, "group", Empty::refused));
        TRY_ASSIGN(resource.type, read_string(item, at, "type", Empty::allowed));
        TRY_ASSIGN(resource.state, read_string(item, at, "state", Empty::allowed));
        TRY_ASSIGN(resource.owner_node, read_string(item, at, "owner_node", Empty::allowed));
        TRY_ASSIGN(resource.possible_owners, read_name_list(item, at, "possible_owners"));
        TRY_ASSIGN(const json* parameters, read_object(item, at, "parameters"));
        const std::string parameters_at = child(at, "parameters");
        if (const auto found = parameters->find("ServiceName"); found != parameters->end()) {
            TRY_ASSIGN(resource.service_name,
                       string_value(*found, child(parameters_at, "ServiceName"), Empty::allowed));
        }
        if (const auto found = parameters->find("UseNetworkName"); found != parameters->end()) {
            TRY_ASSIGN(resource.use_network_name,
                       integer_value(*found, child(parameters_at, "UseNetworkName"), 0,
                                     std::numeric_limits<std::uint32_t>::max()));
        }
        if (const auto found = parameters->find("Name"); found != parameters->end()) {
            TRY_ASSIGN(resource.network_name,
                       string_value(*found, child(parameters_at, "Name"), Empty::refused));
        }

        TRY(resource_names.add(resource.name, child(at, "name")));
        if (!group_names.contains(resource.group)) {
            return field_error(child(at, "group"), "group " + quote_text(resource.group) +
                                                       " is not listed in " +
                                                       child(path, "groups"));
        }
        UniqueNames owners("possible owner");
        for (std::size_t j = 0; j < resource.possible_owners.size(); ++j) {
            const std::string owner_at = element(child(at, "possible_owners"), j);
            const std::string& owner = resource.possible_owners[j];
            TRY(owners.add(owner, owner_at));
            if (!node_names.contains(owner)) {
                return field_error(owner_at, "node " + quote_text(owner) + " is not listed in " +
                                                 child(path, "nodes"));
            }
        }
        cluster.resources.push_back(std::move(resource));
    }
    return cluster;
}

Result<BizTalkGroup> parse_biztalk(const json& object, const std::string& path) {
    BizTalkGroup biztalk;
    TRY_ASSIGN(biztalk.group, read_string(object, path, "group", Empty::allowed));
    TRY_ASSIGN(biztalk.sso_server, read_string(object, path, "sso_server", Empty::allowed));
    TRY_ASSIGN(biztalk.messagebox_count,
               read_integer(object, path, "messagebox_count", 1, k_max_messageboxes));
    TRY_ASSIGN(biztalk.servers, read_name_list(object, path, "servers"));
    UniqueNames server_names("server name");
    for (std::size_t i = 0; i < biztalk.servers.size(); ++i) {
        TRY(server_names.add(biztalk.servers[i], element(child(path, "servers"), i)));
    }

    UniqueNames host_names("host name");
    TRY_ASSIGN(const json* hosts, read_array(object, path, "hosts"));
    for (std::size_t i = 0; i < hosts->size(); ++i) {
        const std::string at = element(child(path, "hosts"), i);
        const json& item = (*hosts)[i];
        TRY(expect_object(item, at));
        BizTalkHost host;
        TRY_ASSIGN(host.name, read_string(item, at, "name", Empty::refused));
        TRY_ASSIGN(const std::string type, read_string(item, at, "type", Empty::refused));
        if (type == "in-process") {
            host.type = HostType::in_process;
        } else if (type == "isolated") {
            host.type = HostType::isolated;
        } else {
            return field_error(child(at, "type"),
                               "must be \"in-process\" or \"isolated\", found " + quote_text(type));
        }
        TRY_ASSIGN(host.tracking, read_bool(item, at, "tracking"));
        TRY_ASSIGN(host.cluster_group, read_string(item, at, "cluster_group", Empty::allowed));
        TRY(host_names.add(host.name, child(at, "name")));
        biztalk.hosts.push_back(std::move(host));
    }

    UniqueNames instance_keys("host instance");
    TRY_ASSIGN(const json* instances, read_array(object, path, "host_instances"));
    for (std::size_t i = 0; i < instances->size(); ++i) {
        const std::string at = element(child(path, "host_instances"), i);
        const json& item = (*instances)[i];
        TRY(expect_object(item, at));
        HostInstance instance;
        TRY_ASSIGN(instance.host, read_string(item, at, "host", Empty::refused));
        TRY_ASSIGN(instance.server, read_string(item, at, "server", Empty::refused));
        TRY_ASSIGN(instance.cluster_instance_type,
                   read_integer(item, at, "cluster_instance_type", 0, 2));
        TRY_ASSIGN(instance.disabled, read_bool(item, at, "disabled"));
        if (!host_names.contains(instance.host)) {
            return field_error(child(at, "host"), "host " + quote_text(instance.host) +
                                                      " is not listed in " + child(path, "hosts"));
        }
        if (!server_names.contains(instance.server)) {
            return field_error(child(at, "server"), "server " + quote_text(instance.server) +
                                                        " is not listed in " +
                                                        child(path, "servers"));
        }
        // The pair is the identity of a host instance; the separator cannot occur in names.
        TRY(instance_keys.add(instance.host + '\n' + instance.server, at,
                              instance.host + " on " + instance.server));
        biztalk.host_instances.push_back(std::move(instance));
    }
    return biztalk;
}

Result<SqlLoad> parse_sql(const json& object, const std::string& path) {
    SqlLoad sql;
    UniqueNames instance_names("SQL instance name");
    TRY_ASSIGN(const json* instances, read_array(object, path, "instances"));
    for (std::size_t i = 0; i < instances->size(); ++i) {
        const std::string at = element(child(path, "instances"), i);
        const json& item = (*instances)[i];
        TRY(expect_object(item, at));
        SqlInstance instance;
        TRY_ASSIGN(instance.name, read_string(item, at, "name", Empty::refused));
        TRY_ASSIGN(instance.node, read_string(item, at, "node", Empty::refused));
        TRY_ASSIGN(instance.cpu_percent, read_percent(item, at, "cpu_percent"));
        TRY_ASSIGN(instance.memory_percent, read_percent(item, at, "memory_percent"));
        TRY(instance_names.add(instance.name, child(at, "name")));
        sql.instances.push_back(std::move(instance));
    }
    return sql;
}

Result<Inventory> inventory_from_json(const json& root) {
    if (!root.is_object()) {
        return field_error("", "expected an object, found " + type_name(root));
    }
    TRY_ASSIGN(const std::string schema, read_string(root, "", "schema", Empty::refused));
    if (schema != k_inventory_schema) {
        const std::string expected(k_inventory_schema);
        if (schema.rfind("ssoescrow-topology/", 0) == 0) {
            return make_error(Errc::unsupported_version,
                              "schema: unsupported inventory schema " + quote_text(schema) +
                                  " (this build reads " + expected + ")",
                              "collect the inventory with the collect-topology.ps1 shipped with "
                              "this version of ssoescrow");
        }
        return field_error("schema", quote_text(schema) +
                                         " is not an ssoescrow topology inventory "
                                         "(expected \"" +
                                         expected + "\")");
    }

    Inventory inventory;
    TRY_ASSIGN(inventory.collected_at, read_string(root, "", "collected_at", Empty::refused));
    if (!is_rfc3339_utc(inventory.collected_at)) {
        return field_error("collected_at",
                           "expected an RFC 3339 UTC time such as "
                           "2026-01-31T08:00:00Z, found " +
                               quote_text(inventory.collected_at));
    }
    TRY_ASSIGN(const json* cluster, read_nullable_object(root, "", "cluster"));
    if (cluster != nullptr) {
        TRY_ASSIGN(inventory.cluster, parse_cluster(*cluster, "cluster"));
    }
    TRY_ASSIGN(const json* sso, read_object(root, "", "sso"));
    TRY_ASSIGN(inventory.sso.secret_server,
               read_string(*sso, "sso", "secret_server", Empty::refused));
    TRY_ASSIGN(const json* biztalk, read_object(root, "", "biztalk"));
    TRY_ASSIGN(inventory.biztalk, parse_biztalk(*biztalk, "biztalk"));
    TRY_ASSIGN(const json* sql, read_nullable_object(root, "", "sql"));
    if (sql != nullptr) {
        TRY_ASSIGN(inventory.sql, parse_sql(*sql, "sql"));
    }
    return inventory;
}

}  // namespace

Result<Inventory> parse_inventory(std::string_view text) {
    TRY_ASSIGN(const json root, parse_strict_json(text));
    return inventory_from_json(root);
}

Result<Inventory> load_inventory(const std::string& path) {
    const StrictJsonLimits limits;
    // Never blocks: a FIFO is refused, not waited on; a file growing past the limit while it is
    // read is refused too.
    std::uint64_t size = 0;
    Result<std::string> read = platform::read_regular_file_bounded(platform::path_from_utf8(path),
                                                                   limits.max_input_bytes, &size);
    if (!read) {
        const Error& error = read.error();
        switch (error.code) {
            case Errc::not_found:
                return make_error(Errc::not_found,
                                  "inventory file " + quote_text(path) + " does not exist",
                                  "run scripts/windows/collect-topology.ps1 -OutFile FILE on a "
                                  "cluster node and pass that file to --inventory");
            case Errc::limit_exceeded:
                return make_error(
                    Errc::limit_exceeded,
                    "inventory file " + quote_text(path) + " is " +
                        std::to_string(std::max<std::uint64_t>(size, limits.max_input_bytes + 1)) +
                        " bytes, above the " + std::to_string(limits.max_input_bytes) +
                        "-byte limit");
            default:
                return std::move(read).error();  // "cannot open/read FILE: reason"
        }
    }
    const std::string text = std::move(read).value();

    auto inventory = parse_inventory(text);
    if (!inventory) {
        Error error = with_context(std::move(inventory).error(), path);
        if (error.hint.empty()) {
            error.hint =
                "fix the file, or collect it again with scripts/windows/collect-topology.ps1 "
                "-OutFile FILE";
        }
        return error;
    }
    return inventory;
}

}  // namespace ssoescrow::topology
