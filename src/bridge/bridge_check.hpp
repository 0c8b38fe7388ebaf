// `ssoescrow bridge check`: the administrator's acceptance test of a bridge against the protocol
// `ssoescrow-bridge/1` (README "Checking a bridge"), run through the same BridgeClient the jobs
// use, so that an answer the check accepts is one the jobs accept.
//
// Every operation is tried: status; backup with passwords and reminders ENTSSO must refuse
// (10836, 10839, 10840) and into a missing folder (10784); a real backup into a private scratch
// directory with a generated password, whose reminder must read back; reminder of a missing
// (10784) and of a random file (10564); a request that is not JSON and one of another protocol
// version (a non-zero exit or an error answer). Across every call carrying a password, that
// password must not appear on the bridge's stderr or stdout nor in the .bak in clear, and no
// call may outlast the timeout. `restore` and `generate` change the server's secret state, so
// they are tried only when `destructive` is set (a test server): restore of a random file
// (10564), with a wrong password (10779) and of the backup just taken (same secret: the MSIDs
// stay), then generate with a short password (10836) and for real (a new current MSID, the old
// one becomes previous, the reminder reads back).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "src/bridge/bridge_client.hpp"

namespace ssoescrow::bridge {

inline constexpr std::string_view k_check_schema = "ssoescrow-bridge-check/1";

struct CheckOutcome {
    std::string id;         // stable name, e.g. "backup-password-too-short"
    std::string operation;  // the protocol operation it exercises, or "all"
    bool passed = false;
    std::string detail;  // what was seen (never a secret)
};

struct CheckOptions {
    bool destructive = false;
    std::filesystem::path scratch_parent;  // where the private scratch directory goes
};

struct CheckReport {
    std::vector<std::string> bridge;  // the bridge's argv, without the operation
    bool destructive = false;
    std::chrono::milliseconds timeout{0};
    std::vector<CheckOutcome> checks;

    std::size_t failed() const;
    bool all_passed() const { return failed() == 0; }
};

// Runs every check against the bridge `client` runs. Errors only when the check itself cannot
// run (no scratch directory); everything the bridge does wrong is a failed check in the report.
Result<CheckReport> run_bridge_check(BridgeClient client, const CheckOptions& options);

// The report as text (one line per check, then a summary) and as JSON (README: schema
// `ssoescrow-bridge-check/1`).
std::string format_check_text(const CheckReport& report);
std::string format_check_json(const CheckReport& report);

}  // namespace ssoescrow::bridge
