// Where `restore request` and `rekey request` write a request (REQ, public) and its one-time key
// (REQ.key, secret): both are new files, never overwritten, and never one without the other.
#pragma once

#include <string>

#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::cli {

struct RequestFiles {
    std::string request;
    std::string key;
};

// `out` and `key` (default: OUT.key), checked before any work: distinct, and neither exists.
Result<RequestFiles> request_files(const std::string& out, const std::string& key);

// The key first (0600), then the request; if the request cannot be written the key is removed.
[[nodiscard]] Status write_request_files(const RequestFiles& files, const std::string& request,
                                         const crypto::SecretBytes& key);

}  // namespace ssoescrow::cli
