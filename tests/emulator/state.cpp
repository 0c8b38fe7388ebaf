#include "state.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "files.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow::emulator {
namespace {

using crypto::SecretBytes;
using nlohmann::json;

constexpr std::string_view k_state_format = "sso-emulator-state/1";
constexpr std::size_t k_max_state_bytes = 1 << 20;

json opt(const std::optional<std::string>& v) {
    return v ? json(*v) : json(nullptr);
}

Result<std::optional<std::string>> get_opt_msid(const json& j, const char* key) {
    if (!j.contains(key) || j[key].is_null())
        return std::optional<std::string>{};
    if (!j[key].is_string() || !is_msid(j[key].get<std::string>())) {
        return make_error(Errc::parse, std::string("state.json: bad ") + key);
    }
    return std::optional<std::string>(j[key].get<std::string>());
}

}  // namespace

// entsso:CODE, where CODE is an ENTSSO number (10766) or, as bridges that pass on the COM
// HRESULT report it, a negative 32-bit HRESULT (-1073731058) or one in hex (0xC0002A0E). The
// emulator answers with the code exactly as given.
std::optional<long long> entsso_fault_code(std::string_view kind) {
    constexpr std::string_view prefix = "entsso:";
    if (kind.substr(0, prefix.size()) != prefix)
        return std::nullopt;
    std::string_view digits = kind.substr(prefix.size());
    int base = 10;
    bool negative = false;
    if (digits.substr(0, 2) == "0x" || digits.substr(0, 2) == "0X") {
        base = 16;
        digits.remove_prefix(2);
    } else if (!digits.empty() && digits.front() == '-') {
        negative = true;
        digits.remove_prefix(1);
    }
    if (digits.empty() || digits.size() > 10)
        return std::nullopt;
    long long code = 0;
    for (char c : digits) {
        int digit = -1;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        if (digit < 0)
            return std::nullopt;
        code = code * base + digit;
    }
    if (negative)
        code = -code;
    if (code == 0 || code < -2147483648LL || code > 4294967295LL)
        return std::nullopt;
    return code;
}

bool valid_fault_kind(std::string_view kind) {
    return kind == "hang" || kind == "crash" || kind == "garbage" || kind == "truncated" ||
           entsso_fault_code(kind).has_value();
}

Result<std::string> normalize_name(std::string_view name, std::string_view what) {
    if (name.empty() || name.size() > 15) {
        return make_error(Errc::usage, std::string(what) + " must be 1 to 15 characters");
    }
    std::string out;
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
            return make_error(Errc::usage, std::string(what) + " \"" + std::string(name) +
                                               "\" may only hold letters, digits and '-'");
        }
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

NodeState* State::node(std::string_view name) {
    auto it = nodes.find(std::string(name));
    return it == nodes.end() ? nullptr : &it->second;
}

bool State::is_secret_server(std::string_view node_name) const {
    if (secret_server == node_name)
        return true;  // SSODB names this computer itself
    // On a cluster the SSODB names the SSO group's network name; whoever owns the group is it.
    return cluster.has_value() && secret_server == cluster->network_name &&
           cluster->owner_node == node_name;
}

StateDir::StateDir(StateDir&& other) noexcept
    : m_dir(std::move(other.m_dir)), m_lock(std::move(other.m_lock)) {}

StateDir::~StateDir() {
    unlock();
}

void StateDir::unlock() noexcept {
    m_lock.reset();
}

Result<StateDir> StateDir::open(const std::string& dir, bool create) {
    if (dir.empty())
        return make_error(Errc::usage, "--state needs a folder");
    if (create) {
        TRY(make_private_directory(dir));
        TRY(make_private_directory(dir + "/secrets"));
    }
    if (!is_directory(dir)) {
        return make_error(
            Errc::not_found, "state folder " + dir + " does not exist",
            "create it with: sso-emulator --state " + dir + " admin init --standalone NAME");
    }
    TRY_ASSIGN(platform::ExclusiveFileLock lock,
               platform::ExclusiveFileLock::acquire(platform::path_from_utf8(dir + "/lock")));
    return StateDir(dir, std::move(lock));
}

bool StateDir::initialized() const {
    return entry_kind(m_dir + "/state.json") != EntryKind::missing;
}

Result<State> StateDir::load() const {
    const std::string path = m_dir + "/state.json";
    auto raw = read_small_file(path, k_max_state_bytes);
    if (!raw.ok()) {
        if (raw.error().code == Errc::not_found) {
            return make_error(
                Errc::not_found, "state folder " + m_dir + " is not initialised",
                "run: sso-emulator --state " + m_dir + " admin init --standalone NAME");
        }
        return std::move(raw).error();
    }
    json j = json::parse(raw->data(), raw->data() + raw->size(), nullptr, false);
    auto bad = [&](const std::string& what) { return make_error(Errc::parse, path + ": " + what); };
    try {
        if (j.is_discarded() || !j.is_object())
            return bad("not a JSON object");
        if (j.value("format", "") != k_state_format)
            return bad("unknown format");
        State s;
        s.mode = j.at("mode").get<std::string>();
        s.default_node = j.at("default_node").get<std::string>();
        s.secret_server = j.at("ssodb").at("secret_server").get<std::string>();
        TRY_ASSIGN(s.ssodb_msid, get_opt_msid(j.at("ssodb"), "current_msid"));
        for (const auto& [name, n] : j.at("nodes").items()) {
            NodeState ns;
            TRY_ASSIGN(ns.current_msid, get_opt_msid(n, "current_msid"));
            TRY_ASSIGN(ns.previous_msid, get_opt_msid(n, "previous_msid"));
            ns.service_state = n.at("service_state").get<std::string>();
            ns.backed_up = n.at("backed_up").get<bool>();
            s.nodes.emplace(name, std::move(ns));
        }
        if (!j.at("cluster").is_null()) {
            const json& c = j.at("cluster");
            ClusterState cs;
            cs.name = c.at("name").get<std::string>();
            cs.group = c.at("group").get<std::string>();
            cs.network_name = c.at("network_name").get<std::string>();
            cs.owner_node = c.at("owner_node").get<std::string>();
            cs.possible_owners = c.at("possible_owners").get<std::vector<std::string>>();
            cs.resource_state = c.at("resource_state").get<std::string>();
            s.cluster = std::move(cs);
        }
        if (!j.at("fail_next").is_null()) {
            const json& f = j.at("fail_next");
            Fault fault;
            fault.kind = f.at("kind").get<std::string>();
            if (!valid_fault_kind(fault.kind))
                return bad("unknown fault kind");
            if (!f.at("operation").is_null())
                fault.operation = f.at("operation").get<std::string>();
            s.fail_next = std::move(fault);
        }
        if (s.nodes.empty() || !s.node(s.default_node))
            return bad("default_node is not a node");
        return s;
    } catch (const json::exception& e) {
        return bad(std::string("unexpected layout: ") + e.what());
    }
}

std::string state_text(const State& s) {
    json j;
    j["format"] = k_state_format;
    j["mode"] = s.mode;
    j["default_node"] = s.default_node;
    j["ssodb"] = {{"secret_server", s.secret_server}, {"current_msid", opt(s.ssodb_msid)}};
    j["nodes"] = json::object();
    for (const auto& [name, n] : s.nodes) {
        j["nodes"][name] = {{"current_msid", opt(n.current_msid)},
                            {"previous_msid", opt(n.previous_msid)},
                            {"service_state", n.service_state},
                            {"backed_up", n.backed_up}};
    }
    if (s.cluster) {
        const ClusterState& c = *s.cluster;
        j["cluster"] = {{"name", c.name},
                        {"group", c.group},
                        {"network_name", c.network_name},
                        {"owner_node", c.owner_node},
                        {"possible_owners", c.possible_owners},
                        {"resource_state", c.resource_state}};
    } else {
        j["cluster"] = nullptr;
    }
    if (s.fail_next) {
        j["fail_next"] = {{"kind", s.fail_next->kind}, {"operation", opt(s.fail_next->operation)}};
    } else {
        j["fail_next"] = nullptr;
    }
    return j.dump(2) + "\n";
}

Status StateDir::save(const State& s) const {
    const std::string text = state_text(s);
    return replace_file(m_dir + "/state.json", as_bytes(text));
}

Result<MasterSecrets> StateDir::load_secrets(const State& state, const std::string& node) const {
    auto it = state.nodes.find(node);
    if (it == state.nodes.end() || !it->second.current_msid) {
        return make_error(Errc::not_found, "no master secret on " + node);
    }
    const std::string path = m_dir + "/secrets/" + node + ".secret";
    TRY_ASSIGN(SecretBytes raw, read_small_file(path, 2 * k_secret_size));
    const bool has_previous = it->second.previous_msid.has_value();
    if (raw.size() != (has_previous ? 2 : 1) * k_secret_size) {
        return make_error(Errc::parse, path + " does not match the MSIDs in state.json");
    }
    MasterSecrets s;
    s.current = SecretBytes::copy_of(raw.view().subspan(0, k_secret_size));
    s.current_msid = *it->second.current_msid;
    if (has_previous) {
        s.previous = SecretBytes::copy_of(raw.view().subspan(k_secret_size, k_secret_size));
        s.previous_msid = it->second.previous_msid;
    }
    return s;
}

Status StateDir::save_secrets(const std::string& node, const MasterSecrets& s) const {
    SecretBytes raw((s.previous_msid ? 2 : 1) * k_secret_size);
    std::memcpy(raw.data(), s.current.data(), k_secret_size);
    if (s.previous_msid)
        std::memcpy(raw.data() + k_secret_size, s.previous.data(), k_secret_size);
    return replace_file(m_dir + "/secrets/" + node + ".secret", raw.view());
}

void StateDir::event(const std::string& node, int id, std::string_view level,
                     std::string_view text) const {
    // std::chrono's calendar, not gmtime_r (POSIX only): UTC, whole seconds.
    using namespace std::chrono;
    const auto now = floor<seconds>(system_clock::now());
    const auto day = floor<days>(now);
    const year_month_day date{day};
    const hh_mm_ss time{now - day};
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                  static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    std::string line = std::string(stamp) + "\t" + node + "\t" + std::to_string(id) + "\t" +
                       std::string(level) + "\t";
    for (char c : text)
        line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    line += "\n";
    append_text(m_dir + "/events.log", line);
}

}  // namespace ssoescrow::emulator
