// Internal helpers for the strict line-oriented formats of the envelope and the escrow policy
// (vault/FORMAT.md sections 1 and 3): a line reader that refuses CR, NUL, missing final LF and
// over-long lines, canonical decimal numbers, UTC times and free-text fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/result.hpp"

namespace ssoescrow::vault::envelope_text {

// Reads LF-terminated lines from `text`, one at a time. Errors name `source` and the line number
// ("<source> line 4 (threshold): ...").
class LineReader {
  public:
    LineReader(std::string_view text, std::string source, std::size_t max_line_size)
        : m_text(text), m_source(std::move(source)), m_max_line_size(max_line_size) {}

    // The next line without its LF. Errc::parse if there is none (truncated), if it has no LF
    // within max_line_size bytes (Errc::limit_exceeded if the line goes on), or if it holds a CR
    // or NUL.
    Result<std::string_view> next_line(std::string_view what);
    // The next line, which must be "key: value" (value not empty) or exactly "key:" when
    // `allow_empty` and the value is empty. Returns the value.
    Result<std::string_view> field(std::string_view key, bool allow_empty = false);

    std::size_t offset() const noexcept { return m_offset; }
    std::size_t line_number() const noexcept { return m_line; }  // of the last line read
    const std::string& source() const noexcept { return m_source; }
    // "<source> line N (what): message" for the last line read.
    Error error(Errc code, std::string_view what, std::string_view message,
                std::string hint = {}) const;

  private:
    std::string_view m_text;
    std::string m_source;
    std::size_t m_max_line_size;
    std::size_t m_offset = 0;
    std::size_t m_line = 0;
};

// Decimal without sign or leading zeros ("0" allowed), at most `max` (checked while parsing,
// so a huge number is Errc::limit_exceeded, not an overflow). `what` names the field.
Result<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max,
                                    std::string_view what);

// Free text: at most max_size bytes; no byte < 0x20 or 0x7f; no leading or trailing space;
// empty only if allow_empty. Errc::invalid_argument naming `what`.
Status check_text(std::string_view value, std::size_t max_size, bool allow_empty,
                  std::string_view what);

// Seconds since the epoch <-> "YYYY-MM-DDTHH:MM:SSZ" (years 1970..9999, UTC).
inline constexpr std::int64_t k_max_time = 253402300799;  // 9999-12-31T23:59:59Z
// Precondition: 0 <= seconds <= k_max_time.
std::string format_utc(std::int64_t seconds);
Result<std::int64_t> parse_utc(std::string_view text, std::string_view what);

}  // namespace ssoescrow::vault::envelope_text
