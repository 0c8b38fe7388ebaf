#include "src/bridge/bridge_client.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <regex>

#include "platform/command_line.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow::bridge {
namespace {

using crypto::SecretBytes;
using nlohmann::json;

constexpr std::size_t k_max_diagnostic = 300;

void append(SecretBytes& buffer, std::size_t& used, std::string_view text) {
    std::copy(text.begin(), text.end(), buffer.data() + used);
    used += text.size();
}

// The encodings a bridge (or a tool it runs) could write the password in: the bytes
// themselves, hex (compared case-insensitively), base64 (standard and URL-safe, at each of the
// three alignments a longer encoded text can put it in, without the characters its neighbours
// decide) and UTF-16 (little- and big-endian, as Windows tools and PowerShell write it). Each is
// built in guarded memory.
std::vector<SecretBytes> secret_encodings(const SecretBytes& secret) {
    std::vector<SecretBytes> out;
    out.push_back(secret.clone());
    static constexpr char hex[] = "0123456789abcdef";
    SecretBytes hexed(secret.size() * 2);
    for (std::size_t i = 0; i < secret.size(); ++i) {
        hexed[2 * i] = static_cast<std::uint8_t>(hex[secret[i] >> 4]);
        hexed[2 * i + 1] = static_cast<std::uint8_t>(hex[secret[i] & 0xf]);
    }
    out.push_back(std::move(hexed));
    for (const char* alphabet :
         {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"}) {
        for (std::size_t offset = 0; offset < 3; ++offset) {
            // Encode `offset` zero bytes then the secret; keep only the characters that depend on
            // secret bytes alone (skip those mixed with the prefix, drop the last, which may mix
            // with what follows, and any padding).
            const std::size_t total = offset + secret.size();
            SecretBytes encoded((total + 2) / 3 * 4);
            std::size_t used = 0;
            for (std::size_t i = 0; i < total; i += 3) {
                std::uint32_t group = 0;
                for (std::size_t k = 0; k < 3; ++k) {
                    const std::size_t at = i + k;
                    const std::uint8_t byte = at < offset || at >= total ? 0 : secret[at - offset];
                    group = (group << 8) | byte;
                }
                const std::size_t chars = std::min<std::size_t>(4, (total - i) * 4 / 3 + 1);
                for (std::size_t k = 0; k < chars; ++k)
                    encoded[used++] =
                        static_cast<std::uint8_t>(alphabet[(group >> (18 - 6 * k)) & 0x3f]);
            }
            const std::size_t skip = offset == 0 ? 0 : offset == 1 ? 2 : 3;
            if (used < skip + 2)
                continue;  // too short to tell anything apart
            out.push_back(SecretBytes::copy_of(ByteView(encoded.data() + skip, used - skip - 1)));
        }
    }
    // UTF-16: decode the UTF-8 password (an invalid byte stands for itself), encode each code
    // point as one unit or a surrogate pair.
    SecretBytes le(secret.size() * 4);
    SecretBytes be(secret.size() * 4);
    std::size_t used = 0;
    auto put = [&](std::uint32_t unit) {
        le[used] = static_cast<std::uint8_t>(unit & 0xff);
        le[used + 1] = static_cast<std::uint8_t>(unit >> 8);
        be[used] = static_cast<std::uint8_t>(unit >> 8);
        be[used + 1] = static_cast<std::uint8_t>(unit & 0xff);
        used += 2;
    };
    for (std::size_t i = 0; i < secret.size();) {
        const std::uint8_t b = secret[i];
        std::size_t size = b < 0x80           ? 1
                           : (b >> 5) == 0x6  ? 2
                           : (b >> 4) == 0xe  ? 3
                           : (b >> 3) == 0x1e ? 4
                                              : 0;
        std::uint32_t cp = b;
        if (size > 1 && i + size <= secret.size()) {
            cp = size == 2 ? (b & 0x1fu) : size == 3 ? (b & 0x0fu) : (b & 0x07u);
            for (std::size_t k = 1; k < size; ++k) {
                if ((secret[i + k] >> 6) != 0x2) {
                    cp = b;
                    size = 1;
                    break;
                }
                cp = (cp << 6) | (secret[i + k] & 0x3fu);
            }
        } else {
            size = 1;
        }
        if (cp >= 0x10000) {
            put(0xd800 + ((cp - 0x10000) >> 10));
            put(0xdc00 + ((cp - 0x10000) & 0x3ff));
        } else {
            put(cp);
        }
        i += size;
    }
    le.truncate(used);
    be.truncate(used);
    out.push_back(std::move(le));
    out.push_back(std::move(be));
    return out;
}

std::uint8_t fold_case(std::uint8_t c, bool fold) {
    return fold && c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c - 'A' + 'a') : c;
}

bool equal_at(std::string_view text, std::size_t at, const std::uint8_t* what, std::size_t size,
              bool fold) {
    for (std::size_t k = 0; k < size; ++k) {
        if (fold_case(static_cast<std::uint8_t>(text[at + k]), fold) != what[k])
            return false;
    }
    return true;
}

// Pieces this short could be anything; from here on a piece at an edge of the captured tail (a
// tail cut in the middle of the password, a bridge killed while writing it) counts as a leak.
constexpr std::size_t k_min_edge_piece = 8;

bool contains_encoding(std::string_view text, const SecretBytes& encoding, bool fold) {
    const std::size_t n = encoding.size();
    if (n == 0)
        return false;
    for (std::size_t at = 0; at + n <= text.size(); ++at) {
        if (equal_at(text, at, encoding.data(), n, fold))
            return true;
    }
    // The tail may start in the middle of the encoding, or end before it does.
    for (std::size_t piece = std::min(n - 1, text.size()); piece >= k_min_edge_piece; --piece) {
        if (equal_at(text, 0, encoding.data() + n - piece, piece, fold) ||
            equal_at(text, text.size() - piece, encoding.data(), piece, fold)) {
            return true;
        }
    }
    return false;
}

// Wipes a std::string that held text from the bridge (it may hold anything the bridge saw).
void wipe_string(std::string& text) noexcept {
    crypto::wipe(
        std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(text.data()), text.size()));
    text.clear();
}

// A short, printable tail of the bridge's stderr for an error message, or a note that it was
// withheld because it holds the password in some encoding. `raw` is wiped either way.
std::string diagnostic_tail(std::string& raw, const SecretBytes* password) {
    if (password != nullptr && reveals_secret(raw, *password)) {
        wipe_string(raw);
        return "withheld: it held the password";
    }
    std::string_view text(raw);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.remove_suffix(1);
    std::string tail = text.size() > k_max_diagnostic
                           ? "..." + std::string(text.substr(text.size() - k_max_diagnostic))
                           : std::string(text);
    for (char& c : tail) {
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    }
    wipe_string(raw);
    return tail;
}

std::string format_duration(std::chrono::milliseconds duration) {
    auto ms = duration.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

Error bridge_failure(std::string_view operation, const std::string& what, const std::string& tail) {
    std::string message = "SSO bridge '" + std::string(operation) + "' failed: " + what;
    if (!tail.empty())
        message += " (bridge stderr: " + tail + ")";
    return make_error(Errc::bridge_failed, message,
                      "run the bridge by hand to see what it does: "
                      "echo '{\"protocol\":\"ssoescrow-bridge/1\"}' | BRIDGE status");
}

Result<std::string> string_field(const json& body, const char* key, std::string_view operation) {
    auto found = body.find(key);
    if (found == body.end() || !found->is_string()) {
        return bridge_failure(operation, std::string("response has no string field '") + key + "'",
                              "");
    }
    return found->get<std::string>();
}

Result<std::optional<std::string>> msid_field(const json& body, const char* key,
                                              std::string_view operation, bool nullable) {
    auto found = body.find(key);
    if (found != body.end() && found->is_null() && nullable)
        return std::optional<std::string>{};
    if (found == body.end() || !found->is_string() || !is_msid(found->get<std::string>())) {
        return bridge_failure(
            operation, std::string("response field '") + key + "' is not an MSID (GUID)", "");
    }
    return std::optional<std::string>(found->get<std::string>());
}

}  // namespace

bool reveals_secret(std::string_view text, const SecretBytes& secret) {
    if (secret.empty())
        return false;
    const std::vector<SecretBytes> encodings = secret_encodings(secret);
    for (std::size_t i = 0; i < encodings.size(); ++i) {
        // Index 1 is the hex form: compared without case (upper-case hex is as common).
        if (contains_encoding(text, encodings[i], i == 1))
            return true;
    }
    return false;
}

bool is_msid(std::string_view text) {
    static const std::regex guid(
        R"(^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$)");
    if (text.size() > 38)
        return false;
    bool braced_open = !text.empty() && text.front() == '{';
    bool braced_close = !text.empty() && text.back() == '}';
    return braced_open == braced_close && std::regex_match(text.begin(), text.end(), guid);
}

Error entsso_error(int code, std::string_view bridge_message, std::string_view secret_server) {
    std::string said = bridge_message.empty() ? "" : " (" + std::string(bridge_message) + ")";
    std::string prefix = "ENTSSO error " + std::to_string(code) + ": ";
    switch (code) {
        case k_entsso_not_secret_server:
            return make_error(
                Errc::entsso_error, prefix + "this computer is not the master secret server" + said,
                secret_server.empty()
                    ? "run this on the master secret server (ssomanage -displaydb names it)"
                    : "run this on the master secret server " + std::string(secret_server) +
                          " (on a cluster: on the node that owns the SSO group)");
        case k_entsso_wrong_password:
            return make_error(Errc::entsso_error,
                              prefix + "the backup file's password is wrong" + said,
                              "the password does not belong to this .bak; check that the backup "
                              "and its password come from the same envelope");
        case k_entsso_bad_file_format:
            return make_error(Errc::entsso_error,
                              prefix + "the file is not an ENTSSO backup or is damaged" + said,
                              "use another backup; run 'ssoescrow vault check' on the vault");
        case k_entsso_cannot_open_file:
            return make_error(Errc::entsso_error,
                              prefix + "ENTSSO cannot open the backup file" + said,
                              "the file must be on a local NTFS disk that the SSO service and "
                              "this account can read and write");
        case k_entsso_wrong_secret:
            return make_error(Errc::entsso_error,
                              prefix + "the backup holds a different master secret" + said,
                              "restore the backup taken from this SSO system (compare MSIDs with "
                              "'ssoescrow vault list')");
        case k_entsso_password_too_short:
        case k_entsso_password_too_long:
        case k_entsso_reminder_too_long:
            return make_error(Errc::entsso_error,
                              prefix + "ENTSSO refused the password or reminder length" + said,
                              "passwords must be 7 to 256 characters and reminders at most 512");
        default:
            return make_error(Errc::entsso_error, prefix + "ENTSSO reported a failure" + said,
                              "look up the event in the Application log (source ENTSSO)");
    }
}

std::optional<int> entsso_number_of(std::int64_t reported) noexcept {
    if (reported >= 1 && reported <= 0xFFFF)
        return static_cast<int>(reported);
    if (reported < INT32_MIN || reported > UINT32_MAX || reported == 0)
        return std::nullopt;
    const auto hresult = static_cast<std::uint32_t>(reported);
    if ((hresult & 0xFFFF0000u) == 0xC0000000u && (hresult & 0xFFFFu) != 0)
        return static_cast<int>(hresult & 0xFFFFu);
    return std::nullopt;
}

Error reported_entsso_error(std::int64_t reported, std::string_view bridge_message,
                            std::string_view secret_server) {
    const std::optional<int> number = entsso_number_of(reported);
    if (number && *number == reported)
        return entsso_error(*number, bridge_message, secret_server);
    char hresult[16];
    std::snprintf(hresult, sizeof hresult, "0x%08X", static_cast<unsigned>(reported & 0xFFFFFFFF));
    if (number) {
        Error error = entsso_error(*number, bridge_message, secret_server);
        const std::string prefix = "ENTSSO error " + std::to_string(*number);
        error.message.insert(prefix.size(), std::string(" (HRESULT ") + hresult + ")");
        return error;
    }
    if (reported < INT32_MIN || reported > UINT32_MAX || reported == 0) {
        return make_error(Errc::bridge_failed,
                          "the bridge reported the error code " + std::to_string(reported) +
                              ", which is neither an ENTSSO number nor an HRESULT",
                          "the bridge must report ENTSSO's number (for example 10766) or the COM "
                          "HRESULT; check the bridge");
    }
    std::string said = bridge_message.empty() ? "" : " (" + std::string(bridge_message) + ")";
    return make_error(Errc::entsso_error,
                      std::string("ENTSSO call failed with HRESULT ") + hresult + said,
                      "look up the HRESULT and the event in the Application log (sources ENTSSO "
                      "and ssoescrow); 0x80070005 is access denied: run as an SSO Administrator");
}

Result<SecretBytes> build_request(const std::vector<std::pair<std::string, std::string>>& fields,
                                  const SecretBytes* password) {
    json object = json::object();
    object["protocol"] = std::string(k_protocol);
    for (const auto& [key, value] : fields)
        object[key] = value;
    std::string head;
    try {
        head = object.dump();  // strict: throws on invalid UTF-8 in a field
    } catch (const json::exception&) {
        return make_error(Errc::invalid_argument, "a bridge request field is not valid UTF-8");
    }
    head.pop_back();  // the closing brace; the password goes last

    std::size_t escaped_size = 0;
    if (password != nullptr) {
        for (std::size_t i = 0; i < password->size(); ++i) {
            std::uint8_t c = (*password)[i];
            escaped_size += (c == '"' || c == '\\') ? 2 : (c < 0x20 ? 6 : 1);
        }
    }
    constexpr std::string_view key = ",\"password\":\"";
    SecretBytes request(head.size() + (password ? key.size() + escaped_size + 1 : 0) + 1);
    std::size_t used = 0;
    append(request, used, head);
    if (password != nullptr) {
        append(request, used, key);
        static constexpr char hex[] = "0123456789abcdef";
        for (std::size_t i = 0; i < password->size(); ++i) {
            std::uint8_t c = (*password)[i];
            if (c == '"' || c == '\\') {
                request[used++] = '\\';
                request[used++] = c;
            } else if (c < 0x20) {
                const char escape[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
                append(request, used, std::string_view(escape, 6));
            } else {
                request[used++] = c;
            }
        }
        request[used++] = '"';
    }
    request[used++] = '}';
    return request;
}

// Wipes every string of a parsed answer (it may hold anything the bridge wrote).
void wipe_json(json& value) noexcept {
    if (value.is_string()) {
        wipe_string(value.get_ref<std::string&>());
    } else if (value.is_array() || value.is_object()) {
        for (auto& child : value)
            wipe_json(child);
    }
}

struct BridgeClient::Response {
    json body;
    Response() = default;
    explicit Response(json parsed) : body(std::move(parsed)) {}
    Response(Response&&) = default;
    Response& operator=(Response&&) = default;
    Response(const Response&) = delete;
    Response& operator=(const Response&) = delete;
    ~Response() { wipe_json(body); }
};

namespace {

// Judges a bridge's stdout after a clean exit: ONE JSON object of our protocol with a boolean
// "ok"; an ENTSSO error answer becomes entsso_error(). The body of a success answer is returned.
Result<json> check_answer(std::string_view operation, std::string_view text,
                          const SecretBytes* password, const std::string& tail,
                          CallTrace* trace = nullptr) {
    json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
        return bridge_failure(operation, "the bridge's answer is not one JSON object", tail);
    }
    auto protocol = body.find("protocol");
    if (protocol == body.end() || *protocol != k_protocol) {
        return bridge_failure(operation, "the bridge does not speak " + std::string(k_protocol),
                              tail);
    }
    auto ok = body.find("ok");
    if (ok == body.end() || !ok->is_boolean()) {
        return bridge_failure(operation, "the bridge's answer has no boolean 'ok'", tail);
    }
    if (!ok->get<bool>()) {
        auto code = body.find("code");
        if (code == body.end() || !code->is_number_integer()) {
            return bridge_failure(operation, "an error answer without an integer 'code'", tail);
        }
        if (trace != nullptr) {
            trace->entsso_code = code->get<int>();
            auto said = body.find("message");
            trace->entsso_message = said != body.end() && said->is_string();
        }
        // The bridge's own words only when the request held no password: after one that did,
        // the message is built from the ENTSSO code alone (a bridge may echo what it was sent,
        // in any encoding).
        std::string message;
        if (auto found = body.find("message");
            password == nullptr && found != body.end() && found->is_string()) {
            std::string said = found->get<std::string>();
            message = diagnostic_tail(said, nullptr);
        }
        std::string secret_server;
        if (auto server = body.find("secret_server"); server != body.end() && server->is_string()) {
            secret_server = server->get<std::string>();
        }
        return reported_entsso_error(code->get<std::int64_t>(), message, secret_server);
    }
    return body;
}

// cluster.resource_state, lower-cased: the protocol's values are lower case, but a bridge that
// passes Windows' own spelling ("Online") through must not read as a resource that is down. Any
// other value is a protocol error naming it: treating it as "not online" would tell the
// operator to bring online a resource that may well be online.
Result<std::string> resource_state_from(std::string state) {
    std::string lowered = state;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    for (std::string_view known : {"online", "offline", "failed", "pending", "unknown"}) {
        if (lowered == known)
            return lowered;
    }
    std::string shown = diagnostic_tail(state, nullptr);
    return bridge_failure("status",
                          "cluster.resource_state '" + shown +
                              "' is not one of online, offline, failed, pending, unknown",
                          "");
}

// The fields of a successful status answer.
Result<ServerStatus> status_from(const json& body) {
    ServerStatus status;
    TRY_ASSIGN(status.computer, string_field(body, "computer", "status"));
    TRY_ASSIGN(status.secret_server, string_field(body, "secret_server", "status"));
    auto is_secret = body.find("is_secret_server");
    if (is_secret == body.end() || !is_secret->is_boolean()) {
        return bridge_failure("status", "response has no boolean 'is_secret_server'", "");
    }
    status.is_secret_server = is_secret->get<bool>();
    TRY_ASSIGN(status.current_msid, msid_field(body, "current_msid", "status", true));
    TRY_ASSIGN(status.previous_msid, msid_field(body, "previous_msid", "status", true));
    TRY_ASSIGN(status.service_state, string_field(body, "service_state", "status"));
    if (status.service_state != "running" && status.service_state != "stopped") {
        return bridge_failure("status", "service_state is neither 'running' nor 'stopped'", "");
    }
    auto cluster = body.find("cluster");
    if (cluster != body.end() && !cluster->is_null()) {
        if (!cluster->is_object())
            return bridge_failure("status", "'cluster' is not an object", "");
        ClusterInfo info;
        TRY_ASSIGN(info.name, string_field(*cluster, "name", "status"));
        TRY_ASSIGN(info.node, string_field(*cluster, "node", "status"));
        TRY_ASSIGN(info.group, string_field(*cluster, "group", "status"));
        TRY_ASSIGN(info.owner_node, string_field(*cluster, "owner_node", "status"));
        TRY_ASSIGN(std::string state, string_field(*cluster, "resource_state", "status"));
        TRY_ASSIGN(info.resource_state, resource_state_from(state));
        auto owners = cluster->find("possible_owners");
        if (owners == cluster->end() || !owners->is_array()) {
            return bridge_failure("status", "cluster.possible_owners is not a list", "");
        }
        for (const auto& owner : *owners) {
            if (!owner.is_string()) {
                return bridge_failure("status", "cluster.possible_owners holds a non-string", "");
            }
            info.possible_owners.push_back(owner.get<std::string>());
        }
        status.cluster = std::move(info);
    }
    return status;
}

// The MSIDs of a successful backup, generate or restore answer.
Result<Msids> msids_from(const json& body, std::string_view operation) {
    Msids msids;
    TRY_ASSIGN(auto current, msid_field(body, "current_msid", operation, false));
    msids.current_msid = *current;
    TRY_ASSIGN(msids.previous_msid, msid_field(body, "previous_msid", operation, true));
    return msids;
}

}  // namespace

BridgeClient::BridgeClient(std::vector<std::string> argv, ChildLimits limits)
    : m_argv(std::move(argv)), m_limits(limits) {}

Result<BridgeClient> BridgeClient::from_command_line(std::string_view command,
                                                     std::chrono::milliseconds timeout) {
    TRY_ASSIGN(auto argv, platform::split_command_line(command));
    ChildLimits limits;
    limits.timeout = timeout;
    return BridgeClient(std::move(argv), limits);
}

Result<BridgeClient::Response> BridgeClient::call(std::string_view operation,
                                                  const SecretBytes& request,
                                                  const SecretBytes* password) const {
    std::vector<std::string> argv = m_argv;
    argv.emplace_back(operation);
    CallTrace trace;
    trace.operation = std::string(operation);
    trace.carried_password = password != nullptr;
    // The trace is recorded on every path out of here, after the answer was judged.
    struct RecordTrace {
        std::vector<CallTrace>* to;
        CallTrace& trace;
        ~RecordTrace() {
            if (to != nullptr)
                to->push_back(trace);
        }
    } record_trace{m_trace, trace};
    TRY_ASSIGN(ChildOutcome outcome, platform::run_child(argv, request, m_limits));
    // Whatever the bridge printed is wiped on every path out of here.
    struct WipeOutput {
        ChildOutcome& outcome;
        ~WipeOutput() {
            wipe_string(outcome.stdout_text);
            wipe_string(outcome.stderr_tail);
        }
    } wipe_output{outcome};
    trace.started = true;
    trace.ending = outcome.ending;
    trace.exit_status = outcome.exit_status;
    trace.elapsed = outcome.elapsed;
    if (password != nullptr) {
        trace.password_on_stderr = reveals_secret(outcome.stderr_tail, *password);
        trace.password_on_stdout = reveals_secret(outcome.stdout_text, *password);
    }
    std::string tail = diagnostic_tail(outcome.stderr_tail, password);
    using Ending = ChildOutcome::Ending;
    switch (outcome.ending) {
        case Ending::timed_out:
            return bridge_failure(operation,
                                  "no answer within " + format_duration(m_limits.timeout) +
                                      "; the bridge was stopped",
                                  tail);
        case Ending::output_too_large:
            return bridge_failure(operation,
                                  "the bridge printed more than " +
                                      std::to_string(m_limits.max_stdout_bytes) + " bytes",
                                  tail);
        case Ending::signalled:
            return bridge_failure(
                operation, "the bridge was killed by signal " + std::to_string(outcome.exit_status),
                tail);
        case Ending::exited:
            break;
    }
    if (outcome.exit_status != 0) {
        return bridge_failure(
            operation, "the bridge exited with status " + std::to_string(outcome.exit_status),
            tail);
    }
    TRY_ASSIGN(json body, check_answer(operation, outcome.stdout_text, password, tail, &trace));
    return Response(std::move(body));
}

Status BridgeClient::probe(std::string_view operation, std::string_view request_text) const {
    const SecretBytes request = SecretBytes::copy_of(ssoescrow::as_bytes(request_text));
    TRY_ASSIGN(Response response, call(operation, request, nullptr));
    (void)response;
    return {};
}

Result<ServerStatus> BridgeClient::status() const {
    TRY_ASSIGN(SecretBytes request, build_request({}, nullptr));
    TRY_ASSIGN(Response response, call("status", request, nullptr));
    return status_from(response.body);
}

Result<Msids> BridgeClient::msid_call(std::string_view operation, const SecretBytes& request,
                                      const SecretBytes& password) const {
    TRY_ASSIGN(Response response, call(operation, request, &password));
    return msids_from(response.body, operation);
}

Result<Msids> BridgeClient::backup(const std::filesystem::path& file, const SecretBytes& password,
                                   std::string_view reminder) const {
    TRY_ASSIGN(SecretBytes request, build_request({{"file", platform::path_to_utf8(file)},
                                                   {"reminder", std::string(reminder)}},
                                                  &password));
    return msid_call("backup", request, password);
}

Result<Msids> BridgeClient::generate(const std::filesystem::path& file, const SecretBytes& password,
                                     std::string_view reminder) const {
    TRY_ASSIGN(SecretBytes request, build_request({{"file", platform::path_to_utf8(file)},
                                                   {"reminder", std::string(reminder)}},
                                                  &password));
    return msid_call("generate", request, password);
}

Result<Msids> BridgeClient::restore(const std::filesystem::path& file,
                                    const SecretBytes& password) const {
    TRY_ASSIGN(SecretBytes request,
               build_request({{"file", platform::path_to_utf8(file)}}, &password));
    return msid_call("restore", request, password);
}

Result<std::string> BridgeClient::reminder(const std::filesystem::path& file) const {
    TRY_ASSIGN(SecretBytes request,
               build_request({{"file", platform::path_to_utf8(file)}}, nullptr));
    TRY_ASSIGN(Response response, call("reminder", request, nullptr));
    return string_field(response.body, "reminder", "reminder");
}

Result<ServerStatus> parse_status_answer(std::string_view text) {
    TRY_ASSIGN(json body, check_answer("status", text, nullptr, ""));
    return status_from(body);
}

Result<Msids> parse_msid_answer(std::string_view operation, std::string_view text) {
    TRY_ASSIGN(json body, check_answer(operation, text, nullptr, ""));
    return msids_from(body, operation);
}

}  // namespace ssoescrow::bridge
