// What `custodian keygen` and `signer keygen` share: a key file and its public line beside it,
// both new. Keys are never overwritten, and a public line never outlives a key that failed to be
// written, nor a key a public line that failed (the pair is useful only whole).
#pragma once

#include <filesystem>
#include <string>

#include "crypto/result.hpp"

namespace ssoescrow::cli {

// Refuses when either file (or a symbolic link by that name) exists. Called before the slow or
// interactive steps and again right before writing.
Status refuse_existing_key_pair(const std::filesystem::path& key_path,
                                const std::filesystem::path& pub_path);

// Writes `line` (one line, a newline is added) to pub_path, owner-only and exclusive, once the key
// is already at key_path; on failure the key is removed again so that no half pair is left.
Status write_public_line_or_undo_key(const std::filesystem::path& key_path,
                                     const std::filesystem::path& pub_path,
                                     const std::string& line);

}  // namespace ssoescrow::cli
