// Cleanup when ssoescrow is interrupted (SIGINT, SIGTERM, SIGHUP) while an unsealed ENTSSO
// backup file exists on disk.
//
// While an InterruptCleanup is alive, those signals run a handler that, using only
// async-signal-safe calls:
//   1. kills the process group of the running bridge child (bridge::running_child_group()), so
//      the bridge cannot keep writing a backup file after ssoescrow is gone;
//   2. overwrites every regular file directly inside the registered scratch directory with
//      zeros, fsyncs and unlinks it, then removes the directory;
//   3. restores the default action and re-raises the signal, so the parent (shell, Task
//      Scheduler, systemd) sees the usual "killed by signal N" status.
// A writer lock held at that moment stays behind and is taken over (and audit-logged) by the
// next writer on this host, because its pid is then dead. SIGKILL cannot be caught: a kill -9
// leaves the scratch directory; `backup` removes scratch directories of dead runs at its next
// start (remove_abandoned_scratch_dirs in src/backup/scratch_dir.hpp).
#pragma once

#include <filesystem>

#include "crypto/result.hpp"

namespace ssoescrow {

class InterruptCleanup {
  public:
    // Installs the handlers (the previous ones come back in the destructor). Only one may be
    // alive at a time (Errc::internal otherwise).
    [[nodiscard]] static Result<InterruptCleanup> install();

    InterruptCleanup(InterruptCleanup&& other) noexcept;
    InterruptCleanup& operator=(InterruptCleanup&&) = delete;
    InterruptCleanup(const InterruptCleanup&) = delete;
    InterruptCleanup& operator=(const InterruptCleanup&) = delete;
    ~InterruptCleanup();

    // The directory whose files the handler wipes (empty path: none). Errc::limit_exceeded for
    // a path longer than the handler's fixed buffer.
    [[nodiscard]] Status watch_directory(const std::filesystem::path& dir);

  private:
    InterruptCleanup() = default;
    bool m_active = false;
};

}  // namespace ssoescrow
