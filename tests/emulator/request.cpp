#include "request.hpp"

#include <cstdint>
#include <utility>

namespace ssoescrow::emulator {
namespace {

using crypto::SecretBytes;

class Parser {
  public:
    explicit Parser(ByteView text) : m_text(text) {}

    Error fail(const std::string& what) const {
        return make_error(Errc::parse,
                          "malformed request at byte " + std::to_string(m_pos) + ": " + what);
    }

    void skip_ws() {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' ||
                                         m_text[m_pos] == '\n' || m_text[m_pos] == '\r')) {
            ++m_pos;
        }
    }
    bool at_end() const { return m_pos >= m_text.size(); }
    std::uint8_t peek() const { return m_text[m_pos]; }

    Status expect(char c) {
        skip_ws();
        if (at_end() || peek() != static_cast<std::uint8_t>(c)) {
            return fail(std::string("expected '") + c + "'");
        }
        ++m_pos;
        return {};
    }

    Result<unsigned> hex4() {
        if (m_text.size() - m_pos < 4)
            return fail("truncated \\u escape");
        unsigned value = 0;
        for (int i = 0; i < 4; ++i) {
            const std::uint8_t c = m_text[m_pos++];
            value <<= 4;
            if (c >= '0' && c <= '9') {
                value |= c - '0';
            } else if (c >= 'a' && c <= 'f') {
                value |= c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                value |= c - 'A' + 10;
            } else {
                return fail("bad \\u escape");
            }
        }
        return value;
    }

    // Decodes a JSON string (the opening quote is next) into a SecretBytes holding UTF-8.
    Result<SecretBytes> string() {
        TRY(expect('"'));
        // The decoded form is never longer than the encoded one.
        SecretBytes out(m_text.size() - m_pos);
        std::size_t n = 0;
        while (true) {
            if (at_end())
                return fail("unterminated string");
            const std::uint8_t c = m_text[m_pos++];
            if (c == '"')
                break;
            if (c < 0x20)
                return fail("control character in a string");
            if (c != '\\') {
                out[n++] = c;
                continue;
            }
            if (at_end())
                return fail("unterminated escape");
            const std::uint8_t e = m_text[m_pos++];
            switch (e) {
                case '"':
                    out[n++] = '"';
                    break;
                case '\\':
                    out[n++] = '\\';
                    break;
                case '/':
                    out[n++] = '/';
                    break;
                case 'b':
                    out[n++] = '\b';
                    break;
                case 'f':
                    out[n++] = '\f';
                    break;
                case 'n':
                    out[n++] = '\n';
                    break;
                case 'r':
                    out[n++] = '\r';
                    break;
                case 't':
                    out[n++] = '\t';
                    break;
                case 'u': {
                    TRY_ASSIGN(unsigned cp, hex4());
                    if (cp >= 0xDC00 && cp <= 0xDFFF)
                        return fail("lone low surrogate");
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (m_text.size() - m_pos < 2 || m_text[m_pos] != '\\' ||
                            m_text[m_pos + 1] != 'u') {
                            return fail("lone high surrogate");
                        }
                        m_pos += 2;
                        TRY_ASSIGN(unsigned low, hex4());
                        if (low < 0xDC00 || low > 0xDFFF)
                            return fail("bad surrogate pair");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    }
                    // \uXXXX (6 bytes) or a pair (12 bytes) always has room for its UTF-8 form.
                    if (cp < 0x80) {
                        out[n++] = static_cast<std::uint8_t>(cp);
                    } else if (cp < 0x800) {
                        out[n++] = static_cast<std::uint8_t>(0xC0 | (cp >> 6));
                        out[n++] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
                    } else if (cp < 0x10000) {
                        out[n++] = static_cast<std::uint8_t>(0xE0 | (cp >> 12));
                        out[n++] = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
                        out[n++] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
                    } else {
                        out[n++] = static_cast<std::uint8_t>(0xF0 | (cp >> 18));
                        out[n++] = static_cast<std::uint8_t>(0x80 | ((cp >> 12) & 0x3F));
                        out[n++] = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
                        out[n++] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
                    }
                    break;
                }
                default:
                    return fail("unknown escape");
            }
        }
        out.truncate(n);
        if (!valid_utf8(out.view()))
            return fail("string is not valid UTF-8");
        return out;
    }

    static bool valid_utf8(ByteView s) {
        std::size_t i = 0;
        while (i < s.size()) {
            const std::uint8_t c = s[i];
            std::size_t len = 0;
            std::uint32_t cp = 0;
            if (c < 0x80) {
                ++i;
                continue;
            } else if ((c & 0xE0) == 0xC0) {
                len = 2;
                cp = c & 0x1F;
            } else if ((c & 0xF0) == 0xE0) {
                len = 3;
                cp = c & 0x0F;
            } else if ((c & 0xF8) == 0xF0) {
                len = 4;
                cp = c & 0x07;
            } else {
                return false;
            }
            if (s.size() - i < len)
                return false;
            for (std::size_t k = 1; k < len; ++k) {
                if ((s[i + k] & 0xC0) != 0x80)
                    return false;
                cp = (cp << 6) | (s[i + k] & 0x3F);
            }
            if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
                (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
                return false;
            }
            i += len;
        }
        return true;
    }

    Status literal(std::string_view word) {
        if (m_text.size() - m_pos < word.size())
            return fail("bad literal");
        for (char c : word) {
            if (m_text[m_pos++] != static_cast<std::uint8_t>(c))
                return fail("bad literal");
        }
        return {};
    }

    Status number() {
        auto digits = [this] {
            std::size_t start = m_pos;
            while (!at_end() && peek() >= '0' && peek() <= '9')
                ++m_pos;
            return m_pos - start;
        };
        if (!at_end() && peek() == '-')
            ++m_pos;
        if (!at_end() && peek() == '0') {
            ++m_pos;
        } else if (digits() == 0) {
            return fail("bad number");
        }
        if (!at_end() && peek() == '.') {
            ++m_pos;
            if (digits() == 0)
                return fail("bad number");
        }
        if (!at_end() && (peek() == 'e' || peek() == 'E')) {
            ++m_pos;
            if (!at_end() && (peek() == '+' || peek() == '-'))
                ++m_pos;
            if (digits() == 0)
                return fail("bad number");
        }
        return {};
    }

    // Validates and skips any value that is not kept.
    Status skip_value(std::size_t depth) {
        if (depth > k_max_json_depth)
            return fail("nested too deeply");
        skip_ws();
        if (at_end())
            return fail("expected a value");
        switch (peek()) {
            case '"': {
                TRY_ASSIGN(SecretBytes discarded, string());
                return {};
            }
            case 't':
                return literal("true");
            case 'f':
                return literal("false");
            case 'n':
                return literal("null");
            case '[': {
                ++m_pos;
                skip_ws();
                if (!at_end() && peek() == ']') {
                    ++m_pos;
                    return {};
                }
                while (true) {
                    TRY(skip_value(depth + 1));
                    skip_ws();
                    if (at_end())
                        return fail("unterminated array");
                    if (peek() == ']') {
                        ++m_pos;
                        return {};
                    }
                    TRY(expect(','));
                }
            }
            case '{': {
                ++m_pos;
                skip_ws();
                if (!at_end() && peek() == '}') {
                    ++m_pos;
                    return {};
                }
                while (true) {
                    skip_ws();
                    TRY_ASSIGN(SecretBytes key, string());
                    TRY(expect(':'));
                    TRY(skip_value(depth + 1));
                    skip_ws();
                    if (at_end())
                        return fail("unterminated object");
                    if (peek() == '}') {
                        ++m_pos;
                        return {};
                    }
                    TRY(expect(','));
                }
            }
            default:
                if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
                    return number();
                return fail("expected a value");
        }
    }

    std::size_t pos() const { return m_pos; }

  private:
    ByteView m_text;
    std::size_t m_pos = 0;
};

}  // namespace

Result<Request> Request::parse(const SecretBytes& text) {
    if (text.size() > k_max_request_bytes) {
        return make_error(Errc::limit_exceeded,
                          "request larger than " + std::to_string(k_max_request_bytes) + " bytes");
    }
    Parser p(text.view());
    Request request;
    TRY(p.expect('{'));
    p.skip_ws();
    if (!p.at_end() && p.peek() == '}') {
        TRY(p.expect('}'));
    } else {
        while (true) {
            p.skip_ws();
            TRY_ASSIGN(SecretBytes raw_key, p.string());
            std::string key(reinterpret_cast<const char*>(raw_key.data()), raw_key.size());
            if (request.has(key))
                return p.fail("duplicate member \"" + key + "\"");
            TRY(p.expect(':'));
            p.skip_ws();
            if (!p.at_end() && p.peek() == '"') {
                TRY_ASSIGN(SecretBytes value, p.string());
                request.m_strings.emplace(std::move(key), std::move(value));
            } else {
                TRY(p.skip_value(1));
                request.m_others.insert(std::move(key));
            }
            p.skip_ws();
            if (p.at_end())
                return p.fail("unterminated object");
            if (p.peek() == '}') {
                TRY(p.expect('}'));
                break;
            }
            TRY(p.expect(','));
        }
    }
    p.skip_ws();
    if (!p.at_end())
        return p.fail("data after the request object");
    return request;
}

bool Request::has(std::string_view key) const {
    return m_strings.find(key) != m_strings.end() || m_others.find(key) != m_others.end();
}

Result<std::string> Request::text(std::string_view key) const {
    auto it = m_strings.find(key);
    if (it == m_strings.end()) {
        if (m_others.find(key) != m_others.end()) {
            return make_error(Errc::parse,
                              "malformed request: \"" + std::string(key) + "\" must be a string");
        }
        return make_error(Errc::parse, "malformed request: missing \"" + std::string(key) + "\"");
    }
    return std::string(reinterpret_cast<const char*>(it->second.data()), it->second.size());
}

Result<SecretBytes> Request::take_secret(std::string_view key) {
    auto it = m_strings.find(key);
    if (it == m_strings.end()) {
        if (m_others.find(key) != m_others.end()) {
            return make_error(Errc::parse,
                              "malformed request: \"" + std::string(key) + "\" must be a string");
        }
        return make_error(Errc::parse, "malformed request: missing \"" + std::string(key) + "\"");
    }
    SecretBytes value = std::move(it->second);
    m_strings.erase(it);
    m_others.insert(std::string(key));  // taken: still "present" for has()
    return value;
}

std::size_t utf16_length(ByteView utf8) {
    std::size_t units = 0;
    for (std::uint8_t c : utf8) {
        if ((c & 0xC0) != 0x80)
            ++units;  // a lead byte starts a code point
        if ((c & 0xF8) == 0xF0)
            ++units;  // 4-byte sequences are surrogate pairs
    }
    return units;
}

}  // namespace ssoescrow::emulator
