// Signing keys on disk: the host's own key, created on first use in the state root like an SSH
// host key, and key files made with `ssoescrow signer keygen` and named with --signing-key.
// Formats: crypto/sign.hpp and vault/FORMAT.md 2.4.
//
// The state root is where a host keeps what it remembers about vaults (latest-seen states live
// in <root>/<vault id>/): --state-dir D names it, else $XDG_STATE_HOME/ssoescrow or
// ~/.local/state/ssoescrow (on Windows %LOCALAPPDATA%\ssoescrow). The host key is
// <root>/signing.key, owner-only, shared by every vault the host writes to; it never goes into a
// vault.
#pragma once

#include <filesystem>
#include <string>

#include "crypto/sign.hpp"

namespace ssoescrow {

inline constexpr std::string_view k_host_signing_key_file = "signing.key";

// --state-dir D as given (empty: the default state root).
Result<std::filesystem::path> state_root(const std::string& state_dir_option);

// Reads a signing key file: owner-only (0600, no symlink; Errc::unsafe_permissions otherwise),
// at most crypto::k_max_signing_key_file_size bytes, parsed strictly.
Result<crypto::SigningKey> load_signing_key(const std::filesystem::path& file);

// Writes a new key file (0600, exclusive: Errc::already_exists if present).
[[nodiscard]] Status write_signing_key(const std::filesystem::path& file,
                                       const crypto::SigningKey& key);

// The host key <root>/signing.key, created on first use with the host name as its label (a
// concurrent creator wins the race and both use its key).
Result<crypto::SigningKey> host_signing_key(const std::string& state_dir_option);

// --signing-key FILE when given, else the host key of the state root.
Result<crypto::SigningKey> signing_key_for(const std::string& signing_key_option,
                                           const std::string& state_dir_option);

}  // namespace ssoescrow
