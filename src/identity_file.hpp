// Loading a custodian's identity file from disk: the file must be owner-only (0600 or stricter,
// not a symlink), is parsed before the passphrase is asked for (so a damaged or foreign file is
// reported without a pointless prompt), then opened with the passphrase. A file sealed below the
// KDF floor (crypto/kdf.hpp) still opens, with a warning on stderr.
#pragma once

#include <string>

#include "crypto/custodian_key.hpp"
#include "src/passphrase.hpp"

namespace ssoescrow {

inline constexpr std::size_t k_max_identity_file_size = 4096;

Result<crypto::Identity> load_identity(const std::string& path, const PassphraseSource& source);

}  // namespace ssoescrow
