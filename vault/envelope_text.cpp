#include "vault/envelope_text.hpp"

#include <array>

namespace ssoescrow::vault::envelope_text {

Error LineReader::error(Errc code, std::string_view what, std::string_view message,
                        std::string hint) const {
    std::string text = m_source + " line " + std::to_string(m_line);
    if (!what.empty()) {
        text += " (" + std::string(what) + ")";
    }
    text += ": " + std::string(message);
    return make_error(code, std::move(text), std::move(hint));
}

Result<std::string_view> LineReader::next_line(std::string_view what) {
    ++m_line;
    if (m_offset >= m_text.size()) {
        return error(Errc::parse, what, "missing: the file is truncated",
                     "the file was cut short; use an intact copy");
    }
    std::string_view rest = m_text.substr(m_offset);
    // Look for the LF only within the allowed length (+1 for the LF itself).
    std::string_view window = rest.substr(0, m_max_line_size + 1);
    std::size_t end = window.find('\n');
    if (end == std::string_view::npos) {
        if (rest.size() > m_max_line_size) {
            return error(Errc::limit_exceeded, what,
                         "line longer than " + std::to_string(m_max_line_size) + " bytes");
        }
        return error(Errc::parse, what, "line does not end with a newline: the file is truncated",
                     "the file was cut short; use an intact copy");
    }
    std::string_view line = rest.substr(0, end);
    if (line.find('\r') != std::string_view::npos) {
        return error(Errc::parse, what, "contains a CR character",
                     "the file was converted to Windows line endings; use the original file");
    }
    if (line.find('\0') != std::string_view::npos) {
        return error(Errc::parse, what, "contains a NUL byte");
    }
    m_offset += end + 1;
    return line;
}

Result<std::string_view> LineReader::field(std::string_view key, bool allow_empty) {
    TRY_ASSIGN(std::string_view line, next_line(key));
    if (line.size() < key.size() + 1 || line.substr(0, key.size()) != key ||
        line[key.size()] != ':') {
        return error(Errc::parse, key, "expected the field '" + std::string(key) + "'");
    }
    std::string_view rest = line.substr(key.size() + 1);
    if (rest.empty()) {
        if (allow_empty) {
            return rest;
        }
        return error(Errc::parse, key, "empty value");
    }
    if (rest[0] != ' ' || rest.size() < 2) {
        return error(Errc::parse, key, "expected exactly one space after the colon");
    }
    std::string_view value = rest.substr(1);
    if (value[0] == ' ') {
        return error(Errc::parse, key, "expected exactly one space after the colon");
    }
    return value;
}

Result<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max,
                                    std::string_view what) {
    if (text.empty()) {
        return make_error(Errc::parse, std::string(what) + ": empty number");
    }
    if (text.size() > 1 && text[0] == '0') {
        return make_error(Errc::parse, std::string(what) + ": leading zero");
    }
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return make_error(Errc::parse, std::string(what) + ": not a decimal number");
        }
        std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10) {
            return make_error(Errc::limit_exceeded,
                              std::string(what) + ": above the ceiling of " + std::to_string(max));
        }
        value = value * 10 + digit;
    }
    return value;
}

Status check_text(std::string_view value, std::size_t max_size, bool allow_empty,
                  std::string_view what) {
    if (value.empty()) {
        if (allow_empty) {
            return {};
        }
        return make_error(Errc::invalid_argument, std::string(what) + " is empty");
    }
    if (value.size() > max_size) {
        return make_error(Errc::invalid_argument, std::string(what) + " is longer than " +
                                                      std::to_string(max_size) + " bytes");
    }
    for (unsigned char c : value) {
        if (c < 0x20 || c == 0x7f) {
            return make_error(Errc::invalid_argument,
                              std::string(what) + " contains a control character");
        }
    }
    if (value.front() == ' ' || value.back() == ' ') {
        return make_error(Errc::invalid_argument,
                          std::string(what) + " starts or ends with a space");
    }
    return {};
}

namespace {

// Days since 1970-01-01 <-> civil date (H. Hinnant's algorithms, proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

bool is_leap(std::int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr std::array<unsigned, 12> days = {31, 28, 31, 30, 31, 30,
                                                      31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

}  // namespace

std::string format_utc(std::int64_t seconds) {
    const std::int64_t days = seconds / 86400;
    const auto rem = static_cast<unsigned>(seconds % 86400);
    std::int64_t y = 0;
    unsigned m = 0;
    unsigned d = 0;
    civil_from_days(days, y, m, d);
    std::string out;
    auto put = [&out](std::uint64_t value, int width) {
        std::string digits(static_cast<std::size_t>(width), '0');
        for (int i = width - 1; i >= 0; --i) {
            digits[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
            value /= 10;
        }
        out += digits;
    };
    put(static_cast<std::uint64_t>(y), 4);
    out += '-';
    put(m, 2);
    out += '-';
    put(d, 2);
    out += 'T';
    put(rem / 3600, 2);
    out += ':';
    put(rem / 60 % 60, 2);
    out += ':';
    put(rem % 60, 2);
    out += 'Z';
    return out;
}

Result<std::int64_t> parse_utc(std::string_view text, std::string_view what) {
    // YYYY-MM-DDTHH:MM:SSZ
    constexpr std::string_view shape = "dddd-dd-ddTdd:dd:ddZ";
    auto bad = [&]() {
        return make_error(Errc::parse,
                          std::string(what) + ": expected a UTC time YYYY-MM-DDTHH:MM:SSZ");
    };
    if (text.size() != shape.size()) {
        return bad();
    }
    for (std::size_t i = 0; i < shape.size(); ++i) {
        bool ok = shape[i] == 'd' ? (text[i] >= '0' && text[i] <= '9') : text[i] == shape[i];
        if (!ok) {
            return bad();
        }
    }
    auto number = [&](std::size_t at, std::size_t len) {
        unsigned v = 0;
        for (std::size_t i = at; i < at + len; ++i) {
            v = v * 10 + static_cast<unsigned>(text[i] - '0');
        }
        return v;
    };
    const std::int64_t year = number(0, 4);
    const unsigned month = number(5, 2);
    const unsigned day = number(8, 2);
    const unsigned hour = number(11, 2);
    const unsigned minute = number(14, 2);
    const unsigned second = number(17, 2);
    if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 59) {
        return make_error(Errc::parse, std::string(what) + ": not a valid UTC time");
    }
    return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

}  // namespace ssoescrow::vault::envelope_text
