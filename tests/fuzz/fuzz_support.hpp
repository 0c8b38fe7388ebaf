// Helpers shared by the fuzz targets.
#pragma once

#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/hash.hpp"

namespace ssoescrow::fuzz {

// The input with its last line replaced by a correct "checksum: " line, so that mutations reach
// the field parsers behind the checksum (which a fuzzer cannot recompute by itself). For the
// restore request and approval formats (FORMAT.md 4.9), whose checksum is SHA-256.
inline std::string with_valid_checksum(std::string_view text) {
    std::string body(text);
    const std::size_t last = body.rfind("checksum: ");
    if (last != std::string::npos && (last == 0 || body[last - 1] == '\n'))
        body.erase(last);
    const crypto::Digest digest = crypto::sha256(as_bytes(body));
    return body + "checksum: " + to_hex(digest) + "\n";
}

}  // namespace ssoescrow::fuzz
