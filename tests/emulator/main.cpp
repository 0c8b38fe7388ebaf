// sso-emulator: a model of an ENTSSO master secret server (standalone or a two-node failover
// cluster) speaking the bridge protocol ssoescrow-bridge/1 (README "Protocol
// `ssoescrow-bridge/1`"), plus admin verbs that set up topologies and inject faults for tests and
// the demo. See README.md here.
//
//   sso-emulator --state DIR [--node NAME] OPERATION (status|backup|restore|generate|reminder)
//   sso-emulator --state DIR [--node NAME] admin VERB ...
//
// Protocol operations read one JSON request on stdin and write one JSON response on stdout with
// exit 0 (an ENTSSO error is a valid response). Exit 2: emulator misuse or a malformed request;
// exit 3: the state folder is missing, damaged or unwritable. Neither writes anything on stdout.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bak_file.hpp"
#include "cli.hpp"
#include "crypto/random.hpp"
#include "files.hpp"
#include "platform/arguments.hpp"
#include "platform/hardening.hpp"
#include "platform/process_info.hpp"
#include "request.hpp"
#include "state.hpp"

namespace ssoescrow::emulator {

const char* const k_usage =
    "usage: sso-emulator --state DIR [--node NAME] OPERATION   (one JSON request on stdin)\n"
    "         OPERATION: status | backup | restore | generate | reminder\n"
    "       sso-emulator --state DIR [--node NAME] admin VERB ...\n"
    "         init --standalone NAME [--secret-server NAME] [--no-secret [--ssodb-msid GUID]]\n"
    "         init --cluster NAME --group GROUP --network-name NAME --nodes N1,N2\n"
    "              [--owner NODE] [--secret-on-owner-only] [--secret-server NAME]\n"
    "         show\n"
    "         move-group NODE\n"
    "         resource offline|online\n"
    "         service stop|start            (the --node computer, default node otherwise)\n"
    "         fail-next KIND [--op OPERATION]\n"
    "              KIND: hang | crash | garbage | truncated | entsso:CODE | none\n"
    "         rotate-without-backup\n"
    "         set-secret-server NAME\n"
    "exit: 0 response written (may be an ENTSSO error) / admin done; 2 usage or malformed\n"
    "request; 3 state folder missing, damaged or unwritable\n";

int fail_usage(const std::string& message) {
    std::cerr << "sso-emulator: error: " << message << "\n";
    return k_exit_usage;
}

// Usage and malformed-request errors exit 2, everything else (the state folder) 3.
int fail_error(const Error& e, std::optional<int> exit_code) {
    std::cerr << "sso-emulator: error: " << e.message << "\n";
    if (!e.hint.empty())
        std::cerr << "sso-emulator: hint: " << e.hint << "\n";
    if (exit_code)
        return *exit_code;
    return e.code == Errc::usage || e.code == Errc::parse ? k_exit_usage : k_exit_state;
}

namespace {

using crypto::SecretBytes;
using nlohmann::json;

constexpr std::string_view k_protocol = "ssoescrow-bridge/1";
constexpr auto k_hang_time = std::chrono::hours(1);

// ENTSSO error numbers used by the model.
constexpr int k_not_secret_server = 10766;
constexpr int k_wrong_password = 10779;
constexpr int k_bad_format = 10564;
constexpr int k_cannot_open = 10784;
constexpr int k_password_short = 10836;
constexpr int k_password_long = 10839;
constexpr int k_reminder_long = 10840;
constexpr int k_wrong_secret = 10815;
constexpr int k_no_secrets = 10520;
// Not an ENTSSO number: the HRESULT a COM call gets when the SSO service is not running
// (0x800706BA, RPC_S_SERVER_UNAVAILABLE), as the signed 32-bit value .NET reports in HResult.
constexpr long long k_rpc_unavailable = -2147023174LL;

constexpr std::size_t k_password_min = 7;
constexpr std::size_t k_password_max = 256;
constexpr std::size_t k_reminder_max = 512;

std::string msid_or_none(const std::optional<std::string>& msid) {
    return msid ? *msid : std::string("(none)");
}

json msid_json(const std::optional<std::string>& msid) {
    return msid ? json(*msid) : json(nullptr);
}

// ---------------------------------------------------------------------------------------------
// ENTSSO errors as protocol responses

struct EntssoError {
    long long code;
    std::string message;
    std::string secret_server = {};  // for 10766: also sent as "secret_server" (an extra member)
};

std::string standard_message(long long code) {
    switch (code) {
        case k_not_secret_server:
            return "This function can only be performed on the master secret server.";
        case k_wrong_password:
            return "The password is incorrect for the backup file.";
        case k_bad_format:
            return "The format of the backup file is incorrect.";
        case k_cannot_open:
            return "Cannot open the file.";
        case k_password_short:
            return "The password must be at least 7 characters long.";
        case k_password_long:
            return "The password must be at most 256 characters long.";
        case k_reminder_long:
            return "The password reminder must be at most 512 characters long.";
        case k_wrong_secret:
            return "The master secret is not correct (wrong backup file).";
        case k_no_secrets:
            return "There are no master secrets in the registry.";
        case k_rpc_unavailable:
            return "Could not contact the SSO service (0x800706BA).";
        default:
            return "Enterprise Single Sign-On error " + std::to_string(code) + ".";
    }
}

json ok_response() {
    return json{{"protocol", k_protocol}, {"ok", true}};
}

json error_response(const EntssoError& e) {
    json r{{"protocol", k_protocol}, {"ok", false}, {"code", e.code}, {"message", e.message}};
    if (!e.secret_server.empty())
        r["secret_server"] = e.secret_server;
    return r;
}

// ---------------------------------------------------------------------------------------------
// Files named in requests

// Reads a .bak named by a request; ENTSSO error 10784 when it cannot be opened as a file. A file
// larger than any .bak is read up to one byte past the limit, which open_bak then refuses as a
// format error (10564), as ENTSSO refuses it.
std::optional<EntssoError> read_request_file(const std::string& path, Bytes& out) {
    // A request's file may be reached through a symbolic link (ENTSSO opens it like any file);
    // only what it names must be a regular file. A FIFO is never opened.
    auto raw = read_small_file(path, k_max_bak_bytes + 1, FollowLinks::yes);
    if (!raw.ok()) {
        if (raw.error().code == Errc::limit_exceeded) {
            out.assign(k_max_bak_bytes + 1, 0);
            return std::nullopt;
        }
        return EntssoError{k_cannot_open,
                           "Cannot open the file " + path + " (" + raw.error().message + ")."};
    }
    out.assign(raw->data(), raw->data() + raw->size());
    return std::nullopt;
}

// Writes a .bak where a request asks (replacing a regular file there, never following a
// symlink); `keep` < size writes only the first `keep` bytes (the "truncated" fault).
std::optional<EntssoError> write_request_file(const std::string& path, ByteView data,
                                              std::size_t keep) {
    const Status written = overwrite_file(path, data.subspan(0, std::min(keep, data.size())));
    if (!written) {
        return EntssoError{k_cannot_open,
                           "Cannot open the file " + path + " (" + written.error().message + ")."};
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Protocol operations

struct Call {
    StateDir& dir;
    State& state;
    std::string node;
    bool truncate_file = false;
};

std::optional<EntssoError> check_password(const SecretBytes& password) {
    const std::size_t len = utf16_length(password.view());
    if (len < k_password_min)
        return EntssoError{k_password_short, standard_message(k_password_short)};
    if (len > k_password_max)
        return EntssoError{k_password_long, standard_message(k_password_long)};
    return std::nullopt;
}

std::optional<EntssoError> check_reminder(const std::string& reminder) {
    if (utf16_length(as_bytes(reminder)) > k_reminder_max) {
        return EntssoError{k_reminder_long, standard_message(k_reminder_long)};
    }
    return std::nullopt;
}

std::optional<EntssoError> check_secret_server(const Call& c) {
    if (c.state.is_secret_server(c.node))
        return std::nullopt;
    return EntssoError{k_not_secret_server,
                       "This function can only be performed on the master secret server. The "
                       "master secret server is " +
                           c.state.secret_server + "; this computer is " + c.node + ".",
                       c.state.secret_server};
}

std::optional<EntssoError> check_service(const Call& c) {
    if (c.state.nodes.at(c.node).service_state == "running")
        return std::nullopt;
    return EntssoError{k_rpc_unavailable, "Could not contact the SSO service on " + c.node +
                                              ": the RPC server is unavailable (0x800706BA). "
                                              "Start the Enterprise Single Sign-On service."};
}

std::string describe(const EntssoError& e) {
    return "Error " + std::to_string(e.code) + ": " + e.message;
}

Result<json> op_status(Call& c) {
    const NodeState& n = c.state.nodes.at(c.node);
    json r = ok_response();
    r["computer"] = c.node;
    r["secret_server"] = c.state.secret_server;
    r["is_secret_server"] = c.state.is_secret_server(c.node);
    r["current_msid"] = msid_json(n.current_msid);
    r["previous_msid"] = msid_json(n.previous_msid);
    r["service_state"] = n.service_state;
    if (c.state.cluster) {
        const ClusterState& cl = *c.state.cluster;
        r["cluster"] = {{"name", cl.name},
                        {"node", c.node},
                        {"group", cl.group},
                        {"owner_node", cl.owner_node},
                        {"possible_owners", cl.possible_owners},
                        {"resource_state", cl.resource_state}};
    } else {
        r["cluster"] = nullptr;
    }
    return r;
}

// Shared by backup and generate: writes `secrets` to `file`, or the error to report.
std::optional<EntssoError> write_bak(Call& c, const std::string& file, const MasterSecrets& s,
                                     const SecretBytes& password, const std::string& reminder,
                                     Error& internal) {
    auto sealed = seal_bak(s, password, reminder);
    if (!sealed.ok()) {
        internal = sealed.error();
        return EntssoError{0, {}};
    }
    const std::size_t keep = c.truncate_file ? sealed->size() / 2 : sealed->size();
    return write_request_file(file, *sealed, keep);
}

Result<json> op_backup(Call& c, Request& req) {
    TRY_ASSIGN(std::string file, req.text("file"));
    TRY_ASSIGN(std::string reminder, req.text("reminder"));
    TRY_ASSIGN(SecretBytes password, req.take_secret("password"));

    auto refuse = [&](const EntssoError& e) -> json {
        c.dir.event(c.node, 10560, "Error",
                    "Failed to back up the master secret. File: " + file + ". " + describe(e));
        return error_response(e);
    };
    if (auto e = check_password(password))
        return refuse(*e);
    if (auto e = check_reminder(reminder))
        return refuse(*e);
    if (auto e = check_secret_server(c))
        return refuse(*e);
    if (auto e = check_service(c))
        return refuse(*e);
    auto secrets = c.dir.load_secrets(c.state, c.node);
    if (!secrets.ok()) {
        if (secrets.error().code != Errc::not_found)
            return std::move(secrets).error();
        return refuse({k_no_secrets, "There are no master secrets in the registry of " + c.node +
                                         ": restore the master secret first."});
    }
    Error internal{Errc::internal, {}, {}};
    if (auto e = write_bak(c, file, *secrets, password, reminder, internal)) {
        if (e->code == 0)
            return internal;
        return refuse(*e);
    }
    NodeState& n = c.state.nodes.at(c.node);
    if (!n.backed_up) {
        n.backed_up = true;
        TRY(c.dir.save(c.state));
    }
    c.dir.event(c.node, 10559, "Information",
                "The master secret has been backed up. File: " + file +
                    ". Current MSID: " + secrets->current_msid +
                    ". Previous MSID: " + msid_or_none(secrets->previous_msid) +
                    ". User: " + platform::user_name() + ". Computer: " + c.node + ".");
    json r = ok_response();
    r["current_msid"] = secrets->current_msid;
    r["previous_msid"] = msid_json(secrets->previous_msid);
    return r;
}

Result<json> op_generate(Call& c, Request& req) {
    TRY_ASSIGN(std::string file, req.text("file"));
    TRY_ASSIGN(std::string reminder, req.text("reminder"));
    TRY_ASSIGN(SecretBytes password, req.take_secret("password"));

    auto refuse = [&](const EntssoError& e) -> json {
        c.dir.event(c.node, 10526, "Error",
                    "Failed to generate a new master secret. " + describe(e));
        return error_response(e);
    };
    if (auto e = check_password(password))
        return refuse(*e);
    if (auto e = check_reminder(reminder))
        return refuse(*e);
    if (auto e = check_secret_server(c))
        return refuse(*e);
    if (auto e = check_service(c))
        return refuse(*e);

    MasterSecrets next;
    next.current = SecretBytes::random(k_secret_size);
    next.current_msid = new_msid();
    auto old = c.dir.load_secrets(c.state, c.node);
    if (old.ok()) {
        next.previous = std::move(old->current);
        next.previous_msid = old->current_msid;
    } else if (old.error().code != Errc::not_found) {
        return std::move(old).error();
    }
    // The backup of the new secret is written first: if it cannot be, nothing changes.
    Error internal{Errc::internal, {}, {}};
    if (auto e = write_bak(c, file, next, password, reminder, internal)) {
        if (e->code == 0)
            return internal;
        return refuse(*e);
    }
    TRY(c.dir.save_secrets(c.node, next));
    NodeState& n = c.state.nodes.at(c.node);
    n.current_msid = next.current_msid;
    n.previous_msid = next.previous_msid;
    n.backed_up = true;
    c.state.ssodb_msid = next.current_msid;
    TRY(c.dir.save(c.state));
    c.dir.event(c.node, 10525, "Information",
                "A new master secret has been generated. MSID: " + next.current_msid + ".");
    c.dir.event(c.node, 10559, "Information",
                "The master secret has been backed up. File: " + file + ". Current MSID: " +
                    next.current_msid + ". Previous MSID: " + msid_or_none(next.previous_msid) +
                    ". User: " + platform::user_name() + ". Computer: " + c.node + ".");
    c.dir.event(c.node, 10528, "Information",
                "Re-encryption after generating the master secret completed. Count: 0. "
                "Previous MSID: " +
                    msid_or_none(next.previous_msid) + ". Current MSID: " + next.current_msid +
                    ".");
    json r = ok_response();
    r["current_msid"] = next.current_msid;
    r["previous_msid"] = msid_json(next.previous_msid);
    return r;
}

Result<json> op_restore(Call& c, Request& req) {
    TRY_ASSIGN(std::string file, req.text("file"));
    TRY_ASSIGN(SecretBytes password, req.take_secret("password"));

    auto refuse = [&](const EntssoError& e) -> json {
        c.dir.event(c.node, 10524, "Error",
                    "Failed to restore the master secret. File: " + file + ". " + describe(e));
        return error_response(e);
    };
    if (auto e = check_secret_server(c))
        return refuse(*e);
    if (auto e = check_service(c))
        return refuse(*e);
    Bytes raw;
    if (auto e = read_request_file(file, raw))
        return refuse(*e);
    auto opened = open_bak(raw, password);
    if (!opened.ok()) {
        if (opened.error().code == Errc::parse) {
            return refuse({k_bad_format, "The format of the backup file " + file +
                                             " is incorrect (" + opened.error().message + ")."});
        }
        if (opened.error().code == Errc::auth_failed) {
            return refuse(
                {k_wrong_password, "The password is incorrect for the backup file " + file + "."});
        }
        return std::move(opened).error();
    }
    MasterSecrets& s = *opened;
    if (c.state.ssodb_msid && *c.state.ssodb_msid != s.current_msid) {
        return refuse({k_wrong_secret, "The master secret in the backup file (MSID " +
                                           s.current_msid +
                                           ") is not the master secret of this SSO system (the "
                                           "SSO database expects MSID " +
                                           *c.state.ssodb_msid + ")."});
    }
    TRY(c.dir.save_secrets(c.node, s));
    NodeState& n = c.state.nodes.at(c.node);
    n.current_msid = s.current_msid;
    n.previous_msid = s.previous_msid;
    c.state.ssodb_msid = s.current_msid;
    TRY(c.dir.save(c.state));
    c.dir.event(c.node, 10523, "Information",
                "The master secret has been restored. File: " + file + ". Current MSID: " +
                    s.current_msid + ". Previous MSID: " + msid_or_none(s.previous_msid) + ".");
    json r = ok_response();
    r["current_msid"] = s.current_msid;
    r["previous_msid"] = msid_json(s.previous_msid);
    return r;
}

Result<json> op_reminder(Call&, Request& req) {
    TRY_ASSIGN(std::string file, req.text("file"));
    Bytes raw;
    if (auto e = read_request_file(file, raw))
        return error_response(*e);
    auto reminder = read_bak_reminder(raw);
    if (!reminder.ok()) {
        return error_response({k_bad_format, "The format of the backup file " + file +
                                                 " is incorrect (" + reminder.error().message +
                                                 ")."});
    }
    json r = ok_response();
    r["reminder"] = *reminder;
    return r;
}

// Reads stdin into a SecretBytes (the request holds the password), at most the request limit.
// std::fread, not a system call: on Windows stdin is in the C runtime's text mode, which only
// turns CR LF into LF and stops at a Ctrl-Z byte; neither can occur in a well-formed request
// outside whitespace (JSON escapes control characters), so a request parses the same.
Result<SecretBytes> read_stdin() {
    SecretBytes buf(k_max_request_bytes + 1);
    std::size_t n = 0;
    while (n < buf.size()) {
        const std::size_t r = std::fread(buf.data() + n, 1, buf.size() - n, stdin);
        if (r == 0) {
            if (std::ferror(stdin))
                return make_error(Errc::io, "reading stdin failed");
            break;
        }
        n += r;
    }
    if (n > k_max_request_bytes) {
        return make_error(Errc::parse, "malformed request: larger than " +
                                           std::to_string(k_max_request_bytes) + " bytes");
    }
    buf.truncate(n);
    return buf;
}

void print(const json& response, bool truncated) {
    const std::string text = response.dump() + "\n";
    std::fwrite(text.data(), 1, truncated ? text.size() / 2 : text.size(), stdout);
    std::fflush(stdout);
}

[[noreturn]] void hang(StateDir& dir) {
    dir.unlock();
    const auto until = std::chrono::steady_clock::now() + k_hang_time;
    while (std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::seconds(10));
    }
    std::_Exit(1);
}

[[noreturn]] void crash() {
    std::fputs("{\"protocol\": \"ssoescrow-bridge/1\", \"ok\": tr", stdout);
    std::fflush(stdout);
    std::fputs("sso-emulator: injected crash\n", stderr);
    // main() hardened the process (platform::harden_process): no core dump on POSIX, no Windows
    // Error Reporting dialog or dump on Windows. abort() ends it as a crash: SIGABRT on POSIX,
    // exit status 3 on Windows.
    std::abort();
}

int run_protocol(const std::string& state_dir, const std::optional<std::string>& node_arg,
                 const std::string& op) {
    if (op != "status" && op != "backup" && op != "restore" && op != "generate" &&
        op != "reminder") {
        return fail_usage("unknown operation \"" + op + "\"\n" + k_usage);
    }
    auto input = read_stdin();
    if (!input.ok())
        return fail_error(input.error());
    auto dir = StateDir::open(state_dir, false);
    if (!dir.ok())
        return fail_error(dir.error(), k_exit_state);
    auto state = dir->load();
    if (!state.ok())
        return fail_error(state.error(), k_exit_state);
    std::string node = state->default_node;
    if (node_arg) {
        auto name = normalize_name(*node_arg, "--node");
        if (!name.ok())
            return fail_error(name.error());
        if (!state->node(*name))
            return fail_usage("--node " + *name + " is not a node of this state");
        node = *name;
    }

    // An injected fault applies to this call only.
    bool truncate = false;
    if (state->fail_next && (!state->fail_next->operation || *state->fail_next->operation == op)) {
        const Fault fault = *state->fail_next;
        state->fail_next.reset();
        if (auto saved = dir->save(*state); !saved.ok())
            return fail_error(saved.error());
        if (fault.kind == "hang")
            hang(*dir);
        if (fault.kind == "crash")
            crash();
        if (fault.kind == "garbage") {
            std::fputs("Exception calling \"BackupSecret\": <garbage from sso-emulator>\n", stdout);
            return k_exit_ok;
        }
        if (fault.kind == "truncated")
            truncate = true;
        if (auto code = entsso_fault_code(fault.kind)) {
            const EntssoError e{*code, standard_message(*code) + " (injected by sso-emulator)"};
            if (op == "backup")
                dir->event(node, 10560, "Error",
                           "Failed to back up the master secret. " + describe(e));
            if (op == "generate")
                dir->event(node, 10526, "Error",
                           "Failed to generate a new master secret. " + describe(e));
            if (op == "restore")
                dir->event(node, 10524, "Error",
                           "Failed to restore the master secret. " + describe(e));
            print(error_response(e), false);
            return k_exit_ok;
        }
    }

    auto parsed = Request::parse(*input);
    input->reset();
    if (!parsed.ok())
        return fail_error(parsed.error());
    Request& req = *parsed;
    auto protocol = req.text("protocol");
    if (!protocol.ok())
        return fail_error(protocol.error());
    if (*protocol != k_protocol) {
        return fail_usage("unsupported protocol \"" + *protocol + "\" (this bridge speaks " +
                          std::string(k_protocol) + ")");
    }

    Call call{*dir, *state, node, truncate};
    Result<json> response = op == "status"     ? op_status(call)
                            : op == "backup"   ? op_backup(call, req)
                            : op == "restore"  ? op_restore(call, req)
                            : op == "generate" ? op_generate(call, req)
                                               : op_reminder(call, req);
    if (!response.ok())
        return fail_error(response.error());
    // A truncated .bak is reported as a success; for operations that write no file, the
    // "truncated" fault cuts the response itself.
    const bool writes_file = op == "backup" || op == "generate";
    print(*response, truncate && !writes_file);
    return k_exit_ok;
}

}  // namespace
}  // namespace ssoescrow::emulator

int main(int raw_argc, char** raw_argv) {
    using namespace ssoescrow::emulator;
    // The "crash" fault must not leave a core dump nor open a Windows error dialog.
    if (auto hardened = ssoescrow::platform::harden_process(); !hardened.ok()) {
        std::cerr << "sso-emulator: error: " << hardened.error().message << "\n";
        return k_exit_state;
    }
    // UTF-8 arguments on Windows too (a state folder with non-ASCII characters in its name).
    ssoescrow::platform::Utf8Arguments arguments =
        ssoescrow::platform::utf8_arguments(raw_argc, raw_argv);
    const int argc = arguments.argc();
    char** argv = arguments.argv();
    if (!ssoescrow::crypto::initialize().ok()) {
        std::cerr << "sso-emulator: error: libsodium failed to initialise\n";
        return k_exit_state;
    }
    std::string state_dir;
    std::optional<std::string> node;
    std::vector<std::string> rest;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (!rest.empty()) {
            rest.push_back(a);
        } else if (a == "-h" || a == "--help") {
            std::cout << k_usage;
            return k_exit_ok;
        } else if ((a == "--state" || a == "--node") && i + 1 < argc) {
            (a == "--state" ? state_dir : node.emplace()) = argv[++i];
        } else if (a.rfind("--state=", 0) == 0) {
            state_dir = a.substr(8);
        } else if (a.rfind("--node=", 0) == 0) {
            node = a.substr(7);
        } else if (a.rfind("-", 0) == 0) {
            return fail_usage("unknown option " + a + "\n" + k_usage);
        } else {
            rest.push_back(a);
        }
    }
    if (state_dir.empty())
        return fail_usage(std::string("--state DIR is required\n") + k_usage);
    if (rest.empty())
        return fail_usage(std::string("no operation given\n") + k_usage);
    if (rest[0] == "admin") {
        return admin_main(state_dir, node, std::vector<std::string>(rest.begin() + 1, rest.end()));
    }
    if (rest.size() != 1)
        return fail_usage("unexpected argument " + rest[1]);
    return run_protocol(state_dir, node, rest[0]);
}
