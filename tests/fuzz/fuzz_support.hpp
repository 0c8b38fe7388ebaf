// Helpers shared by the fuzz targets.
#pragma once

#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/exchanged_text.hpp"
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

// The form a parser of an exchanged file (request, approval, receipt) reads and serialises back:
// a byte order mark, CR LF line ends and trailing blank lines undone (vault/FORMAT.md section 1).
inline std::string canonical(std::string_view text) {
    return crypto::normalise_exchanged_text(text);
}

}  // namespace ssoescrow::fuzz
