// The emulator's state directory (layout in README.md):
//
//   DIR/state.json           topology, SSODB, per-node MSIDs and service state, pending fault
//   DIR/secrets/NODE.secret  the node's master secret (32 bytes) [+ previous secret, 32 bytes],
//                            0600: the model of HKLM\SOFTWARE\Microsoft\ENTSSO\SSOSS
//   DIR/events.log           the ENTSSO-style event log, one line per event
//   DIR/lock                 the lock file serialising concurrent calls
//   (platform::ExclusiveFileLock:
//                            flock(2) on POSIX, LockFileEx on Windows)
//
// Every file but the event log is replaced atomically (temp file, rename: files.hpp).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bak_file.hpp"
#include "crypto/result.hpp"
#include "platform/file_lock.hpp"

namespace ssoescrow::emulator {

struct NodeState {
    std::optional<std::string> current_msid;  // null: no secret in this node's registry
    std::optional<std::string> previous_msid;
    std::string service_state = "running";  // "running" or "stopped"
    bool backed_up = false;                 // a backup of the current secret was written
};

struct ClusterState {
    std::string name;          // the failover cluster's name
    std::string group;         // the SSO cluster group (role)
    std::string network_name;  // the group's Network Name resource: the SSO server name
    std::string owner_node;
    std::vector<std::string> possible_owners;
    std::string resource_state = "online";  // the ENTSSO Generic Service resource
};

struct Fault {
    std::string kind;                      // hang, crash, garbage, truncated, entsso:CODE
    std::optional<std::string> operation;  // only the next call of this operation
};

struct State {
    std::string mode;  // "standalone" or "cluster"
    std::string default_node;
    std::string secret_server;              // SSODB SSOX_GlobalInfo.gi_SecretServer
    std::optional<std::string> ssodb_msid;  // the master secret the SSO database expects
    std::map<std::string, NodeState> nodes;
    std::optional<ClusterState> cluster;
    std::optional<Fault> fail_next;

    NodeState* node(std::string_view name);
    bool is_secret_server(std::string_view node_name) const;
};

// Fault kinds accepted by `admin fail-next`; entsso:CODE needs a positive decimal CODE.
bool valid_fault_kind(std::string_view kind);
// The CODE of "entsso:CODE", if `kind` is one.
std::optional<long long> entsso_fault_code(std::string_view kind);

// NetBIOS-style computer names: 1..15 of [A-Za-z0-9-], stored upper-case.
Result<std::string> normalize_name(std::string_view name, std::string_view what);

// The state as pretty-printed JSON (what state.json holds; it never contains a secret).
std::string state_text(const State& state);

class StateDir {
  public:
    StateDir(const StateDir&) = delete;
    StateDir& operator=(const StateDir&) = delete;
    StateDir(StateDir&& other) noexcept;
    StateDir& operator=(StateDir&&) = delete;
    ~StateDir();

    // Opens DIR (creating it 0700 when `create`), then takes the exclusive lock.
    static Result<StateDir> open(const std::string& dir, bool create);
    void unlock() noexcept;

    bool initialized() const;
    Result<State> load() const;
    Status save(const State& state) const;

    // Errc::not_found when the node has no secret.
    Result<MasterSecrets> load_secrets(const State& state, const std::string& node) const;
    Status save_secrets(const std::string& node, const MasterSecrets& secrets) const;

    // Appends "TIME<TAB>NODE<TAB>ID<TAB>LEVEL<TAB>TEXT". Never pass a password here.
    void event(const std::string& node, int id, std::string_view level,
               std::string_view text) const;

    const std::string& path() const { return m_dir; }

  private:
    StateDir(std::string dir, platform::ExclusiveFileLock lock)
        : m_dir(std::move(dir)), m_lock(std::move(lock)) {}
    std::string m_dir;
    std::optional<platform::ExclusiveFileLock> m_lock;  // empty once unlocked
};

}  // namespace ssoescrow::emulator
