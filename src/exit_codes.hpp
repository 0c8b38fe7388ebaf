// The one place where errors become exit codes. The table is documented in README.md
// ("Exit codes"); scripts rely on it, so codes are only ever added, never renumbered.
#pragma once

#include "crypto/result.hpp"

namespace ssoescrow {

enum ExitCode : int {
    k_exit_ok = 0,
    k_exit_failure = 1,        // internal error or anything not listed below
    k_exit_usage = 2,          // command line wrong
    k_exit_bad_input = 3,      // a file is malformed, of an unsupported version, over a limit
    k_exit_auth = 4,           // wrong passphrase, MAC/commitment failure, bad or too few shares
    k_exit_io = 5,             // read/write failed, no space, read-only, file not found
    k_exit_refused = 6,        // would overwrite, unsafe permissions, precondition not met
    k_exit_locked = 7,         // another writer holds the vault lock, or ours was lost
    k_exit_vault_damaged = 8,  // the vault fails its integrity checks
    k_exit_bridge = 9,         // the SSO bridge crashed, hung or answered garbage
    k_exit_entsso = 10,        // ENTSSO reported an error through the bridge
    k_exit_policy = 11,        // vault policy differs from the pinned fingerprint
};

// Monitoring convention (Nagios plugins) used by `status` and `topology check`.
enum MonitoringCode : int {
    k_monitor_ok = 0,
    k_monitor_warning = 1,
    k_monitor_critical = 2,
    k_monitor_unknown = 3,
};

int exit_code_for(Errc code) noexcept;

}  // namespace ssoescrow
