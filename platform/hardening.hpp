// Process hardening applied first thing in main(), so that secrets in memory do not end up on
// disk and a broken child pipe is an error value:
//
// POSIX: umask 077 (every file we create is private even before its explicit chmod), no core
// dumps (RLIMIT_CORE 0), not dumpable/ptrace-able by other processes of the same user
// (PR_SET_DUMPABLE 0), SIGPIPE ignored (a write to a bridge that exited is EPIPE, not a silent
// death that would skip the cleanup of temp files holding a .bak).
//
// Windows: no error dialogs that would hang an unattended job (SetErrorMode
// SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX); Windows Error
// Reporting neither collects a dump of this process (WerAddExcludedApplication for this
// executable) nor shows UI (WerSetFlags WER_FAULT_REPORTING_NO_UI), wer.dll being loaded at run
// time so that a system without it (Server Core variants, Wine) still runs; the process heap
// ends the process on corruption (HeapEnableTerminationOnCorruption) instead of running on; DEP
// is enforced where the process can still ask for it (SetProcessDEPPolicy, 64-bit processes
// always have it).
//
// Fatal only when a mandatory step fails (POSIX: core dumps cannot be disabled); optional steps
// that the system does not offer are skipped silently.
#pragma once

#include "crypto/result.hpp"

namespace ssoescrow::platform {

[[nodiscard]] Status harden_process();

// Only the SIGPIPE part of harden_process (nothing on Windows, which has no such signal): for
// test runners that must keep the rest of their process settings.
void ignore_broken_pipes() noexcept;

}  // namespace ssoescrow::platform
