// A strict, minimal JSON reader for one bridge request (an object on stdin).
//
// The request carries the backup-file password, so it is not handed to a general JSON library
// (whose internal string buffers are freed without being wiped): the raw text lives in a
// SecretBytes, and every top-level string member is decoded straight into a SecretBytes. Values
// that are not strings (numbers, booleans, null, nested arrays and objects) are validated and
// skipped: unknown fields are ignored as the protocol requires. Error messages give a byte
// offset or a field name, never the text of a value.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::emulator {

inline constexpr std::size_t k_max_request_bytes = 1 << 20;
inline constexpr std::size_t k_max_json_depth = 32;

class Request {
  public:
    // Parses `text` (one JSON object, optional surrounding whitespace, nothing after it).
    static Result<Request> parse(const crypto::SecretBytes& text);

    bool has(std::string_view key) const;
    // A member that must be a JSON string, returned as plain text (for non-secret fields).
    Result<std::string> text(std::string_view key) const;
    // A member that must be a JSON string, moved out into a SecretBytes (for the password).
    Result<crypto::SecretBytes> take_secret(std::string_view key);

  private:
    std::map<std::string, crypto::SecretBytes, std::less<>> m_strings;
    std::set<std::string, std::less<>> m_others;  // members whose value is not a string
};

// Length as Windows counts it (UTF-16 code units) of valid UTF-8 text.
std::size_t utf16_length(ByteView utf8);

}  // namespace ssoescrow::emulator
