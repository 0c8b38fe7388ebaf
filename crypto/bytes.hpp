// Non-secret byte strings (public keys, ciphertexts, hashes, headers). Secrets never go here:
// they live in SecretBytes (secret_bytes.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"

namespace ssoescrow {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}
inline Bytes to_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

// Lower-case hex of public data (never call this on secret bytes).
std::string to_hex(ByteView data);
// Strict: even length, [0-9a-f] only (canonical lower case), no separators.
Result<Bytes> from_hex(std::string_view hex, std::string_view what);

// RFC 4648 base64 with padding, canonical only: no whitespace, no trailing data, padding bits zero.
std::string to_base64(ByteView data);
Result<Bytes> from_base64(std::string_view text, std::string_view what);

}  // namespace ssoescrow
