#include "vault/text_format.hpp"

#include <array>
#include <limits>

namespace ssoescrow::vault {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2 ? 1 : 0), m, d};
}

bool is_leap(std::int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr std::array<unsigned, 12> k_days{31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : k_days[m - 1];
}

void put_digits(std::string& out, std::int64_t value, int width) {
    std::string digits(static_cast<std::size_t>(width), '0');
    for (int i = width - 1; i >= 0; --i) {
        digits[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out += digits;
}

// Fixed-width decimal field of `text` at [pos, pos+width).
bool read_digits(std::string_view text, std::size_t pos, std::size_t width, unsigned& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        out = out * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return true;
}

Error parse_error(std::string_view what, const std::string& message) {
    return make_error(Errc::parse, std::string(what) + ": " + message);
}

struct Unit {
    char suffix;
    std::int64_t seconds;
};
constexpr std::array<Unit, 4> k_units{{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

Result<std::int64_t> parse_duration_impl(std::string_view text, std::string_view what,
                                         bool canonical_only) {
    if (text.size() < 2)
        return parse_error(what, "duration must be a number and a unit (s m h d)");
    const char suffix = text.back();
    std::int64_t unit = 0;
    for (const Unit& u : k_units) {
        if (u.suffix == suffix)
            unit = u.seconds;
    }
    if (unit == 0) {
        return parse_error(what, "duration '" + std::string(text) +
                                     "' has no unit (one of s m h d, e.g. 26h or 90d)");
    }
    TRY_ASSIGN(const std::uint64_t count, parse_integer(text.substr(0, text.size() - 1), what));
    if (count > static_cast<std::uint64_t>(k_max_time / unit)) {
        return make_error(Errc::limit_exceeded, std::string(what) + ": duration too long");
    }
    const std::int64_t seconds = static_cast<std::int64_t>(count) * unit;
    if (canonical_only && format_duration(seconds) != text) {
        return parse_error(what, "duration '" + std::string(text) +
                                     "' is not canonical (expected " + format_duration(seconds) +
                                     ")");
    }
    return seconds;
}

}  // namespace

std::string format_time(UnixTime time) {
    if (time < 0)
        time = 0;
    if (time > k_max_time)
        time = k_max_time;
    const std::int64_t days = time / 86400;
    const std::int64_t secs = time % 86400;
    const Civil c = civil_from_days(days);
    std::string out;
    out.reserve(20);
    put_digits(out, c.year, 4);
    out += '-';
    put_digits(out, c.month, 2);
    out += '-';
    put_digits(out, c.day, 2);
    out += 'T';
    put_digits(out, secs / 3600, 2);
    out += ':';
    put_digits(out, secs / 60 % 60, 2);
    out += ':';
    put_digits(out, secs % 60, 2);
    out += 'Z';
    return out;
}

Result<UnixTime> parse_time(std::string_view text, std::string_view what) {
    // YYYY-MM-DDTHH:MM:SSZ
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    const bool shape = text.size() == 20 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
                       text[13] == ':' && text[16] == ':' && text[19] == 'Z' &&
                       read_digits(text, 0, 4, year) && read_digits(text, 5, 2, month) &&
                       read_digits(text, 8, 2, day) && read_digits(text, 11, 2, hour) &&
                       read_digits(text, 14, 2, minute) && read_digits(text, 17, 2, second);
    if (!shape) {
        return parse_error(what, "time must be RFC 3339 UTC like 2026-01-31T23:59:00Z");
    }
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 59) {
        return parse_error(what, "time '" + std::string(text) + "' is not a valid date and time");
    }
    return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

std::string format_duration(std::int64_t seconds) {
    if (seconds <= 0)
        return "0s";
    for (const Unit& u : k_units) {
        if (seconds % u.seconds == 0)
            return std::to_string(seconds / u.seconds) + u.suffix;
    }
    return std::to_string(seconds) + "s";
}

Result<std::int64_t> parse_duration(std::string_view text, std::string_view what) {
    return parse_duration_impl(text, what, true);
}

Result<std::int64_t> parse_duration_flag(std::string_view text, std::string_view what) {
    return parse_duration_impl(text, what, false);
}

Result<std::uint64_t> parse_integer(std::string_view text, std::string_view what) {
    if (text.empty())
        return parse_error(what, "expected a decimal number");
    if (text.size() > 1 && text[0] == '0') {
        return parse_error(what, "number '" + std::string(text) + "' has a leading zero");
    }
    if (text.size() > 19)
        return make_error(Errc::limit_exceeded, std::string(what) + ": number too large");
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return parse_error(what, "expected a decimal number, got '" + std::string(text) + "'");
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return make_error(Errc::limit_exceeded, std::string(what) + ": number too large");
    }
    return value;
}

Status check_token(std::string_view value, std::string_view what) {
    if (value.empty())
        return parse_error(what, "empty value");
    if (value.size() > k_max_token_size) {
        return make_error(Errc::limit_exceeded, std::string(what) + ": longer than " +
                                                    std::to_string(k_max_token_size) + " bytes");
    }
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x21 || byte > 0x7e) {
            return parse_error(what, "contains a space, control or non-ASCII byte");
        }
    }
    return {};
}

Status check_text(std::string_view value, std::string_view what) {
    if (value.empty())
        return parse_error(what, "empty value");
    if (value.size() > k_max_text_size) {
        return make_error(Errc::limit_exceeded, std::string(what) + ": longer than " +
                                                    std::to_string(k_max_text_size) + " bytes");
    }
    if (value.front() == ' ' || value.back() == ' ') {
        return parse_error(what, "leading or trailing space");
    }
    // Printable UTF-8: no C0/C1 controls, no DEL, well-formed shortest-form sequences.
    std::size_t i = 0;
    while (i < value.size()) {
        const auto b = static_cast<unsigned char>(value[i]);
        if (b < 0x80) {
            if (b < 0x20 || b == 0x7f)
                return parse_error(what, "contains a control byte");
            ++i;
            continue;
        }
        std::size_t length = 0;
        std::uint32_t cp = 0;
        if (b >= 0xc2 && b <= 0xdf) {
            length = 2;
            cp = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
            length = 3;
            cp = b & 0x0f;
        } else if (b >= 0xf0 && b <= 0xf4) {
            length = 4;
            cp = b & 0x07;
        } else {
            return parse_error(what, "invalid UTF-8");
        }
        if (i + length > value.size())
            return parse_error(what, "invalid UTF-8");
        for (std::size_t k = 1; k < length; ++k) {
            const auto cont = static_cast<unsigned char>(value[i + k]);
            if ((cont & 0xc0) != 0x80)
                return parse_error(what, "invalid UTF-8");
            cp = (cp << 6) | (cont & 0x3f);
        }
        const bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
        if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return parse_error(what, "invalid UTF-8");
        }
        if (cp >= 0x80 && cp <= 0x9f)
            return parse_error(what, "contains a control character");
        i += length;
    }
    return {};
}

Result<std::vector<std::string_view>> split_lines(std::string_view text, std::size_t max_lines,
                                                  std::string_view what) {
    if (text.empty()) {
        return make_error(Errc::parse, std::string(what) + " is empty (0 bytes)");
    }
    if (text.find_first_not_of('\0') == std::string_view::npos) {
        return make_error(Errc::parse, std::string(what) + " is zero-filled (" +
                                           std::to_string(text.size()) + " NUL bytes)");
    }
    if (text.back() != '\n') {
        return make_error(Errc::parse,
                          std::string(what) + " is truncated (does not end with a newline)");
    }
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        std::string_view line = text.substr(start, end - start);
        if (lines.size() == max_lines) {
            return make_error(Errc::limit_exceeded, std::string(what) + ": more than " +
                                                        std::to_string(max_lines) + " lines");
        }
        for (char c : line) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7f) {
                return make_error(Errc::parse, std::string(what) + ": line " +
                                                   std::to_string(lines.size() + 1) +
                                                   " contains a control byte (CR, NUL, tab...)");
            }
        }
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

Result<std::string_view> expect_field(std::string_view line, std::string_view key,
                                      std::string_view what) {
    if (line.size() <= key.size() + 2 || line.substr(0, key.size()) != key ||
        line.substr(key.size(), 2) != ": ") {
        const std::string shown =
            line.size() > 40 ? std::string(line.substr(0, 40)) + "..." : std::string(line);
        return make_error(Errc::parse, std::string(what) + ": expected '" + std::string(key) +
                                           ": <value>', found '" + shown + "'");
    }
    return line.substr(key.size() + 2);
}

bool is_fingerprint_text(std::string_view text) noexcept {
    if (text.size() != k_fingerprint_text_size)
        return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i % 5 == 4) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

Status check_hex(std::string_view value, std::size_t size, std::string_view what) {
    if (value.size() != size * 2) {
        return make_error(Errc::parse, std::string(what) + ": expected " +
                                           std::to_string(size * 2) + " hex digits");
    }
    for (char c : value) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return make_error(Errc::parse, std::string(what) + ": not lower-case hex");
        }
    }
    return {};
}

}  // namespace ssoescrow::vault
