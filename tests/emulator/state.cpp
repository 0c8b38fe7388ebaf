#include "state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "crypto/random.hpp"

namespace ssoescrow::emulator {
namespace {

using crypto::SecretBytes;
using nlohmann::json;

constexpr std::string_view k_state_format = "sso-emulator-state/1";
constexpr std::size_t k_max_state_bytes = 1 << 20;

Error io_error(const std::string& what, const std::string& path, int err) {
    return make_error(Errc::io, what + " " + path + ": " + std::strerror(err));
}

Status fsync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_error("opening folder", dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0)
        return io_error("syncing folder", dir, err);
    return {};
}

// Reads a regular file (not following a final symlink) of at most `limit` bytes.
Result<SecretBytes> read_small(const std::string& path, std::size_t limit) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return make_error(Errc::not_found, path + " does not exist");
        return io_error("opening", path, errno);
    }
    SecretBytes buf(limit + 1);
    std::size_t n = 0;
    while (n < buf.size()) {
        const ssize_t r = ::read(fd, buf.data() + n, buf.size() - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            const int err = errno;
            ::close(fd);
            return io_error("reading", path, err);
        }
        if (r == 0)
            break;
        n += static_cast<std::size_t>(r);
    }
    ::close(fd);
    if (n > limit)
        return make_error(Errc::limit_exceeded, path + " is larger than expected");
    buf.truncate(n);
    return buf;
}

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

std::optional<long long> entsso_fault_code(std::string_view kind) {
    constexpr std::string_view prefix = "entsso:";
    if (kind.substr(0, prefix.size()) != prefix)
        return std::nullopt;
    const std::string_view digits = kind.substr(prefix.size());
    if (digits.empty() || digits.size() > 10)
        return std::nullopt;
    long long code = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return std::nullopt;
        code = code * 10 + (c - '0');
    }
    if (code == 0)
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

Status write_file_atomic(const std::string& path, ByteView data, unsigned mode) {
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    const std::string tmp = path + ".tmp-" + to_hex(crypto::random_bytes(8));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return io_error("creating", tmp, errno);
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return io_error("writing", tmp, err);
        }
        done += static_cast<std::size_t>(w);
    }
    if (::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return io_error("syncing", tmp, err);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return io_error("renaming into", path, err);
    }
    return fsync_dir(dir);
}

StateDir::StateDir(StateDir&& other) noexcept
    : m_dir(std::move(other.m_dir)), m_lock_fd(std::exchange(other.m_lock_fd, -1)) {}

StateDir::~StateDir() {
    unlock();
}

void StateDir::unlock() noexcept {
    if (m_lock_fd >= 0) {
        ::close(m_lock_fd);  // releases the flock
        m_lock_fd = -1;
    }
}

Result<StateDir> StateDir::open(const std::string& dir, bool create) {
    if (dir.empty())
        return make_error(Errc::usage, "--state needs a folder");
    if (create) {
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            return io_error("creating state folder", dir, errno);
        }
        const std::string secrets = dir + "/secrets";
        if (::mkdir(secrets.c_str(), 0700) != 0 && errno != EEXIST) {
            return io_error("creating", secrets, errno);
        }
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return make_error(
            Errc::not_found, "state folder " + dir + " does not exist",
            "create it with: sso-emulator --state " + dir + " admin init --standalone NAME");
    }
    const std::string lock = dir + "/lock";
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return io_error("opening", lock, errno);
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            const int err = errno;
            ::close(fd);
            return io_error("locking", lock, err);
        }
    }
    return StateDir(dir, fd);
}

bool StateDir::initialized() const {
    struct stat st {};
    return ::lstat((m_dir + "/state.json").c_str(), &st) == 0;
}

Result<State> StateDir::load() const {
    const std::string path = m_dir + "/state.json";
    auto raw = read_small(path, k_max_state_bytes);
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
    return write_file_atomic(m_dir + "/state.json", as_bytes(text), 0600);
}

Result<MasterSecrets> StateDir::load_secrets(const State& state, const std::string& node) const {
    auto it = state.nodes.find(node);
    if (it == state.nodes.end() || !it->second.current_msid) {
        return make_error(Errc::not_found, "no master secret on " + node);
    }
    const std::string path = m_dir + "/secrets/" + node + ".secret";
    TRY_ASSIGN(SecretBytes raw, read_small(path, 2 * k_secret_size));
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
    return write_file_atomic(m_dir + "/secrets/" + node + ".secret", raw.view(), 0600);
}

void StateDir::event(const std::string& node, int id, std::string_view level,
                     std::string_view text) const {
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string line = std::string(stamp) + "\t" + node + "\t" + std::to_string(id) + "\t" +
                       std::string(level) + "\t";
    for (char c : text)
        line += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    line += "\n";
    const std::string path = m_dir + "/events.log";
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;  // the event log is best effort, as on Windows
    const ssize_t w = ::write(fd, line.data(), line.size());
    (void)w;
    ::close(fd);
}

}  // namespace ssoescrow::emulator
