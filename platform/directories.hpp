// Well-known directories: where scratch files and the rollback witness (latest-seen state) go.
#pragma once

#include <filesystem>
#include <string_view>

#include "crypto/result.hpp"

namespace ssoescrow::platform {

// The environment variable that chooses the temp directory, for messages and hints.
#ifdef _WIN32
inline constexpr std::string_view k_temp_directory_variable = "TMP";
#else
inline constexpr std::string_view k_temp_directory_variable = "TMPDIR";
#endif

// The directory for temporary files: $TMPDIR (else /tmp) on POSIX, GetTempPathW on Windows.
// It must exist and be a directory. Errc::io "no temp directory (TMPDIR=VALUE): REASON" with a
// hint naming the variable when it is unusable.
Result<std::filesystem::path> temp_directory();

// The default root of ssoescrow's per-vault state (rollback witness), created by the caller:
//   POSIX:   $XDG_STATE_HOME/ssoescrow, else $HOME/.local/state/ssoescrow
//   Windows: %ProgramData%\ssoescrow for service accounts (LocalSystem, LocalService,
//            NetworkService: the scheduled backup job), %LOCALAPPDATA%\ssoescrow for people.
// Errc::not_found with a hint to pass --state-dir when no such directory can be determined.
Result<std::filesystem::path> default_state_root();

}  // namespace ssoescrow::platform
