// Admin verbs: not part of the bridge protocol. They set up the modelled topology, change it the
// way an administrator would (move the SSO group, stop a service, run ssoconfig -generateSecret
// by hand) and inject a fault into the next protocol call.
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bak_file.hpp"
#include "cli.hpp"
#include "state.hpp"

namespace ssoescrow::emulator {
namespace {

using crypto::SecretBytes;

struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> values;
    std::set<std::string> flags;
};

const std::set<std::string> k_flag_options = {"--no-secret", "--secret-on-owner-only"};

Result<Args> parse_args(const std::vector<std::string>& args, std::size_t from) {
    Args out;
    for (std::size_t i = from; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0) {
            out.positional.push_back(a);
        } else if (k_flag_options.count(a) != 0) {
            out.flags.insert(a);
        } else if (i + 1 < args.size()) {
            if (out.values.count(a) != 0)
                return make_error(Errc::usage, a + " given twice");
            out.values[a] = args[++i];
        } else {
            return make_error(Errc::usage, a + " needs a value");
        }
    }
    return out;
}

Status only(const Args& a, std::set<std::string> allowed, std::size_t positionals) {
    for (const auto& [k, v] : a.values) {
        if (allowed.count(k) == 0)
            return make_error(Errc::usage, "unexpected option " + k);
    }
    for (const auto& f : a.flags) {
        if (allowed.count(f) == 0)
            return make_error(Errc::usage, "unexpected option " + f);
    }
    if (a.positional.size() != positionals) {
        return make_error(Errc::usage, "expected " + std::to_string(positionals) +
                                           " argument(s), got " +
                                           std::to_string(a.positional.size()));
    }
    return {};
}

// What ENTSSO logs when the service starts on `node`.
void service_started(const StateDir& dir, const State& s, const std::string& node) {
    const NodeState& n = s.nodes.at(node);
    if (!s.is_secret_server(node))
        return;
    if (!n.current_msid) {
        dir.event(node, 10520, "Error",
                  "There are no master secrets in the registry of this computer. Restore the "
                  "master secret (ssoconfig -restoreSecret).");
    } else if (s.ssodb_msid && *n.current_msid != *s.ssodb_msid) {
        dir.event(node, 10815, "Error",
                  "The master secret on this computer (MSID " + *n.current_msid +
                      ") is not the one the SSO database expects (MSID " + *s.ssodb_msid +
                      "). Restore the current backup on this computer.");
    } else {
        dir.event(node, 10534, "Information", "This computer is the master secret server.");
        if (!n.backed_up) {
            dir.event(node, 10589, "Warning",
                      "The master secret has not been backed up. Back it up now "
                      "(ssoconfig -backupSecret).");
        }
    }
}

Result<std::string> node_for(const State& s, const std::optional<std::string>& node_arg) {
    if (!node_arg)
        return s.default_node;
    TRY_ASSIGN(std::string name, normalize_name(*node_arg, "--node"));
    if (s.nodes.count(name) == 0) {
        return make_error(Errc::usage, "--node " + name + " is not a node of this state");
    }
    return name;
}

Status new_secret_on(const StateDir& dir, State& s, const std::string& node, MasterSecrets& out) {
    out.current = SecretBytes::random(k_secret_size);
    out.current_msid = new_msid();
    TRY(dir.save_secrets(node, out));
    NodeState& n = s.nodes.at(node);
    n.current_msid = out.current_msid;
    n.previous_msid.reset();
    return {};
}

Status init(StateDir& dir, const Args& a) {
    if (dir.initialized()) {
        return make_error(Errc::usage, "state folder " + dir.path() + " is already initialised",
                          "use a new folder, or remove this one first");
    }
    State s;
    if (a.values.count("--standalone") != 0) {
        TRY(only(a, {"--standalone", "--secret-server", "--no-secret", "--ssodb-msid"}, 0));
        TRY_ASSIGN(std::string name, normalize_name(a.values.at("--standalone"), "--standalone"));
        s.mode = "standalone";
        s.default_node = name;
        s.secret_server = name;
        if (a.values.count("--secret-server") != 0) {
            TRY_ASSIGN(s.secret_server,
                       normalize_name(a.values.at("--secret-server"), "--secret-server"));
        }
        s.nodes[name] = NodeState{};
        const bool no_secret = a.flags.count("--no-secret") != 0 || s.secret_server != name;
        if (a.values.count("--ssodb-msid") != 0) {
            if (a.flags.count("--no-secret") == 0) {
                return make_error(Errc::usage, "--ssodb-msid goes with --no-secret");
            }
            std::string msid = a.values.at("--ssodb-msid");
            for (char& c : msid)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (!msid.empty() && msid.front() != '{')
                msid = "{" + msid + "}";
            if (!is_msid(msid))
                return make_error(Errc::usage, "--ssodb-msid is not a GUID");
            s.ssodb_msid = msid;
        } else if (s.secret_server != name) {
            s.ssodb_msid = new_msid();  // the remote master's secret
        }
        if (!no_secret) {
            MasterSecrets secrets;
            TRY(new_secret_on(dir, s, name, secrets));
            s.ssodb_msid = secrets.current_msid;
        }
        TRY(dir.save(s));
        service_started(dir, s, name);
        std::cout << "initialised standalone SSO server " << name << " (master secret server "
                  << s.secret_server << ") in " << dir.path() << "\n";
        return {};
    }
    if (a.values.count("--cluster") == 0) {
        return make_error(Errc::usage, "init needs --standalone NAME or --cluster NAME ...");
    }
    TRY(only(a,
             {"--cluster", "--group", "--network-name", "--nodes", "--owner",
              "--secret-on-owner-only", "--secret-server"},
             0));
    for (const char* required : {"--group", "--network-name", "--nodes"}) {
        if (a.values.count(required) == 0) {
            return make_error(Errc::usage, std::string("init --cluster needs ") + required);
        }
    }
    ClusterState c;
    TRY_ASSIGN(c.name, normalize_name(a.values.at("--cluster"), "--cluster"));
    TRY_ASSIGN(c.group, normalize_name(a.values.at("--group"), "--group"));
    TRY_ASSIGN(c.network_name, normalize_name(a.values.at("--network-name"), "--network-name"));
    std::stringstream list(a.values.at("--nodes"));
    for (std::string item; std::getline(list, item, ',');) {
        TRY_ASSIGN(std::string node, normalize_name(item, "--nodes"));
        for (const auto& seen : c.possible_owners) {
            if (seen == node)
                return make_error(Errc::usage, "--nodes names " + node + " twice");
        }
        c.possible_owners.push_back(node);
    }
    if (c.possible_owners.size() < 2) {
        return make_error(Errc::usage, "--nodes needs at least two nodes (N1,N2)");
    }
    c.owner_node = c.possible_owners.front();
    if (a.values.count("--owner") != 0) {
        TRY_ASSIGN(c.owner_node, normalize_name(a.values.at("--owner"), "--owner"));
        bool known = false;
        for (const auto& n : c.possible_owners)
            known = known || n == c.owner_node;
        if (!known)
            return make_error(Errc::usage, "--owner " + c.owner_node + " is not in --nodes");
    }
    for (const auto& n : c.possible_owners) {
        if (n == c.network_name || n == c.name) {
            return make_error(Errc::usage, "node " + n + " has the name of the cluster or group");
        }
    }
    s.mode = "cluster";
    s.default_node = c.owner_node;
    s.secret_server = c.network_name;
    if (a.values.count("--secret-server") != 0) {
        TRY_ASSIGN(s.secret_server,
                   normalize_name(a.values.at("--secret-server"), "--secret-server"));
    }
    for (const auto& n : c.possible_owners) {
        NodeState ns;
        ns.service_state = n == c.owner_node ? "running" : "stopped";
        s.nodes[n] = ns;
    }
    s.cluster = c;
    // One secret, restored on every node that can own the group (as the documentation asks),
    // unless the test wants the other nodes left unrestored.
    MasterSecrets secrets;
    TRY(new_secret_on(dir, s, c.owner_node, secrets));
    s.ssodb_msid = secrets.current_msid;
    if (a.flags.count("--secret-on-owner-only") == 0) {
        for (const auto& n : c.possible_owners) {
            if (n == c.owner_node)
                continue;
            TRY(dir.save_secrets(n, secrets));
            s.nodes[n].current_msid = secrets.current_msid;
        }
    }
    TRY(dir.save(s));
    service_started(dir, s, c.owner_node);
    std::cout << "initialised cluster " << c.name << ": group " << c.group << " (network name "
              << c.network_name << ") owned by " << c.owner_node << ", nodes";
    for (const auto& n : c.possible_owners)
        std::cout << " " << n;
    std::cout << "; master secret server " << s.secret_server << " in " << dir.path() << "\n";
    return {};
}

Status show(const State& s) {
    nlohmann::json j = nlohmann::json::parse(state_text(s));
    std::optional<std::string> acting;
    for (const auto& [name, n] : s.nodes) {
        if (s.is_secret_server(name))
            acting = name;
    }
    j["secret_server_node"] = acting ? nlohmann::json(*acting) : nlohmann::json(nullptr);
    std::cout << j.dump(2) << "\n";
    return {};
}

Status require_cluster(const State& s) {
    if (!s.cluster)
        return make_error(Errc::usage, "this state is a standalone server, not a cluster");
    return {};
}

Status move_group(const StateDir& dir, State& s, const Args& a) {
    TRY(only(a, {}, 1));
    TRY(require_cluster(s));
    TRY_ASSIGN(std::string target, normalize_name(a.positional[0], "node"));
    ClusterState& c = *s.cluster;
    bool possible = false;
    for (const auto& n : c.possible_owners)
        possible = possible || n == target;
    if (!possible) {
        return make_error(Errc::usage, target + " is not a possible owner of group " + c.group);
    }
    if (target != c.owner_node) {
        s.nodes.at(c.owner_node).service_state = "stopped";
        c.owner_node = target;
        s.nodes.at(target).service_state = c.resource_state == "online" ? "running" : "stopped";
    }
    TRY(dir.save(s));
    if (s.nodes.at(target).service_state == "running")
        service_started(dir, s, target);
    std::cout << "group " << c.group << " is owned by " << target << "\n";
    return {};
}

Status resource(const StateDir& dir, State& s, const Args& a) {
    TRY(only(a, {}, 1));
    TRY(require_cluster(s));
    const std::string& state = a.positional[0];
    if (state != "online" && state != "offline") {
        return make_error(Errc::usage, "resource takes offline or online");
    }
    ClusterState& c = *s.cluster;
    c.resource_state = state;
    s.nodes.at(c.owner_node).service_state = state == "online" ? "running" : "stopped";
    TRY(dir.save(s));
    if (state == "online")
        service_started(dir, s, c.owner_node);
    std::cout << "SSO resource of group " << c.group << " is " << state << " on " << c.owner_node
              << "\n";
    return {};
}

Status service(const StateDir& dir, State& s, const Args& a, const std::string& node) {
    TRY(only(a, {}, 1));
    const std::string& verb = a.positional[0];
    if (verb != "start" && verb != "stop")
        return make_error(Errc::usage, "service takes stop or start");
    s.nodes.at(node).service_state = verb == "start" ? "running" : "stopped";
    TRY(dir.save(s));
    if (verb == "start")
        service_started(dir, s, node);
    std::cout << "ENTSSO service on " << node << " is " << (verb == "start" ? "running" : "stopped")
              << "\n";
    return {};
}

Status fail_next(const StateDir& dir, State& s, const Args& a) {
    TRY(only(a, {"--op"}, 1));
    const std::string& kind = a.positional[0];
    if (kind == "none") {
        s.fail_next.reset();
        TRY(dir.save(s));
        std::cout << "no fault pending\n";
        return {};
    }
    if (!valid_fault_kind(kind)) {
        return make_error(Errc::usage, "unknown fault \"" + kind +
                                           "\" (hang, crash, garbage, truncated, entsso:CODE, "
                                           "none)");
    }
    Fault f;
    f.kind = kind;
    if (a.values.count("--op") != 0) {
        const std::string& op = a.values.at("--op");
        if (op != "status" && op != "backup" && op != "restore" && op != "generate" &&
            op != "reminder") {
            return make_error(Errc::usage, "--op " + op + " is not a protocol operation");
        }
        f.operation = op;
    }
    s.fail_next = f;
    TRY(dir.save(s));
    std::cout << "the next " << (f.operation ? *f.operation + " " : std::string()) << "call will "
              << kind << "\n";
    return {};
}

Status rotate_without_backup(const StateDir& dir, State& s,
                             const std::optional<std::string>& node_arg) {
    std::optional<std::string> node;
    if (node_arg) {
        TRY_ASSIGN(node, node_for(s, node_arg));
    } else {
        for (const auto& [name, n] : s.nodes) {
            if (s.is_secret_server(name))
                node = name;
        }
    }
    if (!node || !s.is_secret_server(*node)) {
        return make_error(Errc::usage,
                          "no node of this state is the master secret server " + s.secret_server);
    }
    MasterSecrets next;
    next.current = SecretBytes::random(k_secret_size);
    next.current_msid = new_msid();
    auto old = dir.load_secrets(s, *node);
    if (old.ok()) {
        next.previous = std::move(old->current);
        next.previous_msid = old->current_msid;
    } else if (old.error().code != Errc::not_found) {
        return std::move(old).error();
    }
    TRY(dir.save_secrets(*node, next));
    NodeState& n = s.nodes.at(*node);
    n.current_msid = next.current_msid;
    n.previous_msid = next.previous_msid;
    n.backed_up = false;
    s.ssodb_msid = next.current_msid;
    TRY(dir.save(s));
    dir.event(*node, 10525, "Information",
              "A new master secret has been generated. MSID: " + next.current_msid + ".");
    dir.event(*node, 10528, "Information",
              "Re-encryption after generating the master secret completed. Count: 0. Previous "
              "MSID: " +
                  (next.previous_msid ? *next.previous_msid : std::string("(none)")) +
                  ". Current MSID: " + next.current_msid + ".");
    std::cout << "generated a new master secret on " << *node << ": " << next.current_msid
              << " (previous " << (next.previous_msid ? *next.previous_msid : "none")
              << "); no escrowed backup holds it\n";
    return {};
}

Status set_secret_server(const StateDir& dir, State& s, const Args& a) {
    TRY(only(a, {}, 1));
    TRY_ASSIGN(s.secret_server, normalize_name(a.positional[0], "secret server"));
    TRY(dir.save(s));
    std::cout << "the SSO database names " << s.secret_server << " as master secret server\n";
    return {};
}

Status run(const std::string& state_dir, std::optional<std::string> node_arg,
           const std::vector<std::string>& args) {
    if (args.empty())
        return make_error(Errc::usage, std::string("admin needs a verb\n") + k_usage);
    const std::string& verb = args[0];
    TRY_ASSIGN(Args a, parse_args(args, 1));
    if (a.values.count("--node") != 0) {
        node_arg = a.values.at("--node");
        a.values.erase("--node");
    }
    TRY_ASSIGN(StateDir dir, StateDir::open(state_dir, verb == "init"));
    if (verb == "init")
        return init(dir, a);
    TRY_ASSIGN(State s, dir.load());
    if (verb == "show") {
        TRY(only(a, {}, 0));
        return show(s);
    }
    if (verb == "move-group")
        return move_group(dir, s, a);
    if (verb == "resource")
        return resource(dir, s, a);
    if (verb == "service") {
        TRY_ASSIGN(std::string node, node_for(s, node_arg));
        return service(dir, s, a, node);
    }
    if (verb == "fail-next")
        return fail_next(dir, s, a);
    if (verb == "rotate-without-backup") {
        TRY(only(a, {}, 0));
        return rotate_without_backup(dir, s, node_arg);
    }
    if (verb == "set-secret-server")
        return set_secret_server(dir, s, a);
    return make_error(Errc::usage, "unknown admin verb \"" + verb + "\"\n" + k_usage);
}

}  // namespace

int admin_main(const std::string& state_dir, const std::optional<std::string>& node_arg,
               const std::vector<std::string>& args) {
    auto status = run(state_dir, node_arg, args);
    if (!status.ok()) {
        const Errc code = status.error().code;
        return fail_error(status.error(), code == Errc::usage ? k_exit_usage : k_exit_state);
    }
    return k_exit_ok;
}

}  // namespace ssoescrow::emulator
