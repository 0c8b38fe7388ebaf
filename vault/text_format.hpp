// Building blocks of the strict line-oriented text formats of the vault (config, audit records,
// the latest-seen state): every value has exactly one accepted spelling, so parse(serialise(x))
// == x and serialise(parse(bytes)) == bytes for every accepted input (vault/FORMAT.md section 1).
//
//   line      = key ": " value LF        (exactly one space; no CR, no NUL, no other control byte)
//   integer   = "0" / (%x31-39 *DIGIT)   (decimal, no sign, no leading zero, at most 2^63-1)
//   time      = YYYY-MM-DDTHH:MM:SSZ     (RFC 3339, UTC, no fraction, years 1970..9999)
//   duration  = integer unit, unit one of s m h d; canonical: the largest unit that divides the
//               value exactly ("1d", never "24h"); zero is "0s"
//   token     = 1..128 bytes of %x21-7e  (ids, MSIDs, host names: no space)
//   text      = 1..256 bytes of printable UTF-8, no control byte, no leading/trailing space
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow::vault {

// Seconds since 1970-01-01T00:00:00Z. Times before 1970 are never written.
using UnixTime = std::int64_t;

inline constexpr std::size_t k_max_token_size = 128;
inline constexpr std::size_t k_max_text_size = 256;
inline constexpr UnixTime k_max_time = 253402300799;  // 9999-12-31T23:59:59Z

std::string format_time(UnixTime time);
Result<UnixTime> parse_time(std::string_view text, std::string_view what);

std::string format_duration(std::int64_t seconds);
// Strict: the canonical spelling only (what the files hold).
Result<std::int64_t> parse_duration(std::string_view text, std::string_view what);
// Lenient, for command-line flags: any unit that divides ("24h", "86400s", "1d" are all a day).
Result<std::int64_t> parse_duration_flag(std::string_view text, std::string_view what);

Result<std::uint64_t> parse_integer(std::string_view text, std::string_view what);

Status check_token(std::string_view value, std::string_view what);
Status check_text(std::string_view value, std::string_view what);

// Splits a whole file into lines. Refuses an empty file, a file of NUL bytes, a missing final LF,
// CR, NUL and other control bytes, and more than `max_lines` lines (checked while scanning).
// `what` names the file in errors.
Result<std::vector<std::string_view>> split_lines(std::string_view text, std::size_t max_lines,
                                                  std::string_view what);

// A line "key: value" (colon, exactly one space). Returns the value.
Result<std::string_view> expect_field(std::string_view line, std::string_view key,
                                      std::string_view what);

// A recipient fingerprint as written everywhere (FORMAT.md 2.1): 8 groups of 4 lower-case hex
// digits joined by '-', 39 characters.
inline constexpr std::size_t k_fingerprint_text_size = 39;
bool is_fingerprint_text(std::string_view text) noexcept;

// Lower-case hex of exactly `size` bytes.
Status check_hex(std::string_view value, std::size_t size, std::string_view what);

// A small text file parsed whole by `parse(text, source)` (source: the file's path), at most
// `max_size` bytes: std::nullopt when it does not exist; any other failure is an error.
template <typename T>
Result<std::optional<T>> read_optional_text_file(const std::filesystem::path& file,
                                                 std::size_t max_size,
                                                 Result<T> (*parse)(std::string_view,
                                                                    std::string_view)) {
    auto bytes = platform::read_file(file, max_size);
    if (!bytes) {
        if (bytes.error().code == Errc::not_found)
            return std::optional<T>();
        return std::move(bytes).error();
    }
    const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    TRY_ASSIGN(T parsed, parse(text, platform::path_to_utf8(file)));
    return std::optional<T>(std::move(parsed));
}

}  // namespace ssoescrow::vault
