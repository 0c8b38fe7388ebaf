// A private scratch directory for the ENTSSO backup file while a job handles it.
//
// The .bak is encrypted by ENTSSO under its password, but that password sits in our memory and
// the file is the master secret in a form one password away from use: it must not outlive the
// job. The directory is created by mkdtemp(3) (unpredictable name, mode 0700) under a parent on
// local disk, named "ssoescrow-scratch-<pid>-XXXXXX" so that a later run can tell whether its
// creator is still alive. Every regular file in it is overwritten with zeros, fsynced and
// unlinked before the directory is removed: on success, on every error (destructor), and on
// SIGINT/SIGTERM/SIGHUP (platform/interrupt.hpp). A run killed with SIGKILL leaves it behind; the
// next run removes it (remove_abandoned_scratch_dirs).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"

namespace ssoescrow::backup {

inline constexpr std::string_view k_scratch_prefix = "ssoescrow-scratch-";

class ScratchDir {
  public:
    // Creates the directory under `parent` (which must exist). Refuses a parent that is a
    // symlink or writable by others without the sticky bit (Errc::unsafe_permissions).
    [[nodiscard]] static Result<ScratchDir> create(const std::filesystem::path& parent);

    ScratchDir(ScratchDir&& other) noexcept;
    ScratchDir& operator=(ScratchDir&&) = delete;
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    ~ScratchDir();  // wipe_and_remove(), errors ignored

    const std::filesystem::path& dir() const noexcept { return m_dir; }

    // Overwrites, fsyncs and unlinks every regular file in the directory (a symlink or other
    // entry is unlinked without following), then removes the directory. Idempotent; the first
    // error is returned after everything else was still tried.
    [[nodiscard]] Status wipe_and_remove();

  private:
    ScratchDir() = default;
    std::filesystem::path m_dir;
};

// Where scratch directories go: `requested` (--temp-dir) when given, else the system temp
// directory ($TMPDIR or /tmp); Errc::io when there is none.
[[nodiscard]] Result<std::filesystem::path> scratch_parent(const std::filesystem::path& requested);

// Overwrites `file` with zeros, fsyncs it and unlinks it (never following a symlink: a symlink
// is only unlinked). A missing file is not an error.
[[nodiscard]] Status wipe_and_remove_file(const std::filesystem::path& file);

struct ScratchCleanup {
    int removed = 0;                   // abandoned scratch directories removed
    std::vector<std::string> skipped;  // one sentence per entry left alone, naming it and why
};

// Removes scratch directories under `parent` left by runs that died (SIGKILL, power loss). Only
// directories that are provably this program's are touched: named k_scratch_prefix<pid>-<suffix>
// as ScratchDir::create makes them, a real directory (not a link) owned by this user, whose pid
// no longer exists. In one, regular files are overwritten with zeros and unlinked, links unlinked;
// anything else (a directory where a .bak was expected) is not ssoescrow's to delete: that
// directory is left and named in `skipped`. Never fails: the cleanup is housekeeping and must not
// block the job that runs it (a temp directory that cannot be listed is named in `skipped` too).
[[nodiscard]] ScratchCleanup remove_abandoned_scratch_dirs(const std::filesystem::path& parent);

}  // namespace ssoescrow::backup
