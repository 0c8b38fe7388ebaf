// Facts about processes and this machine: what locks and scratch directories record about their
// owner, and what they check before taking over from an owner that is gone.
#pragma once

#include <cstdint>
#include <string>

namespace ssoescrow::platform {

// This process's id (getpid / GetCurrentProcessId).
std::int64_t current_process_id() noexcept;

enum class ProcessState {
    alive,    // a process with this id exists on this machine (possibly another user's)
    dead,     // no process has this id: whatever it held may be taken over
    unknown,  // cannot tell: treat as alive
};

// Whether the process `pid` on THIS machine still runs. Never says dead for this process.
ProcessState process_state(std::int64_t pid) noexcept;

// This machine's name as locks and receipts record it (gethostname / GetComputerNameExW
// ComputerNameDnsHostname), UTF-8; "unknown-host" when the system cannot say.
std::string host_name();

// The account this process runs as (UTF-8; DOMAIN\user on Windows), for audit records and
// messages; "unknown-user" when the system cannot say.
std::string user_name();

}  // namespace ssoescrow::platform
