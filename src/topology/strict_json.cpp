#include "src/topology/strict_json.hpp"

#include <cstdio>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace ssoescrow::topology {

using nlohmann::json;

std::string describe_json_path(std::string_view path) {
    return path.empty() ? std::string("(root)") : std::string(path);
}

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) {
            out.push_back(c);
        } else {
            char buffer[5];
            std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
            out += buffer;
        }
    }
    return out;
}

namespace {

// Builds the DOM from SAX events, refusing what nlohmann would accept silently.
class StrictDomBuilder {
  public:
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    explicit StrictDomBuilder(const StrictJsonLimits& limits) : m_limits(limits) {}

    bool null() { return add(json(nullptr)); }
    bool boolean(bool value) { return add(json(value)); }
    bool number_integer(number_integer_t value) { return add(json(value)); }
    bool number_unsigned(number_unsigned_t value) { return add(json(value)); }
    bool number_float(number_float_t value, const string_t&) { return add(json(value)); }
    bool string(string_t& value) {
        if (value.size() > m_limits.max_string_bytes) {
            return fail(Errc::limit_exceeded,
                        describe_json_path(current_path()) + ": string longer than " +
                            std::to_string(m_limits.max_string_bytes) + " bytes");
        }
        return add(json(std::move(value)));
    }
    bool binary(binary_t&) { return fail(Errc::parse, "binary values are not JSON"); }

    bool start_object(std::size_t) { return open(json::object()); }
    bool start_array(std::size_t) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(string_t& key) {
        Frame& frame = m_frames.back();
        if (key.size() > m_limits.max_string_bytes) {
            return fail(Errc::limit_exceeded,
                        describe_json_path(frame.path) + ": object key longer than " +
                            std::to_string(m_limits.max_string_bytes) + " bytes");
        }
        if (!frame.keys.insert(key).second) {
            return fail(Errc::parse, describe_json_path(frame.path) + ": duplicate key \"" +
                                         printable(key) + "\"");
        }
        frame.pending_key = std::move(key);
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
        // ex.what() is "[json.exception.parse_error.101] parse error at line L, column C: ...";
        // keep the readable part and escape any input bytes it quotes.
        std::string message = ex.what();
        if (const auto end = message.find("] ");
            message.rfind("[json.exception", 0) == 0 && end != std::string::npos) {
            message.erase(0, end + 2);
        }
        return fail(Errc::parse, "malformed JSON: " + printable(message));
    }

    bool failed() const noexcept { return m_error.has_value(); }
    Error take_error() { return std::move(*m_error); }
    json take_root() { return std::move(m_root); }

  private:
    struct Frame {
        json* value;
        std::string path;
        std::set<std::string> keys;
        std::string pending_key;
        std::size_t items = 0;
    };

    std::string current_path() const {
        if (m_frames.empty())
            return {};
        const Frame& frame = m_frames.back();
        if (frame.value->is_array()) {
            return frame.path + "[" + std::to_string(frame.items) + "]";
        }
        return frame.path.empty() ? printable(frame.pending_key)
                                  : frame.path + "." + printable(frame.pending_key);
    }

    // Places a finished value in the current container; returns where it now lives.
    json* place(json value, bool& ok) {
        ok = true;
        if (m_frames.empty()) {
            m_root = std::move(value);
            return &m_root;
        }
        Frame& frame = m_frames.back();
        if (frame.value->is_array()) {
            if (frame.items >= m_limits.max_array_items) {
                ok = fail(Errc::limit_exceeded,
                          describe_json_path(frame.path) + ": array has more than " +
                              std::to_string(m_limits.max_array_items) + " elements");
                return nullptr;
            }
            ++frame.items;
            frame.value->push_back(std::move(value));
            return &frame.value->back();
        }
        json& slot = (*frame.value)[frame.pending_key];
        slot = std::move(value);
        return &slot;
    }

    bool add(json value) {
        bool ok = true;
        place(std::move(value), ok);
        return ok;
    }

    bool open(json container) {
        if (m_frames.size() >= m_limits.max_depth) {
            return fail(Errc::limit_exceeded, describe_json_path(current_path()) +
                                                  ": nested deeper than " +
                                                  std::to_string(m_limits.max_depth) + " levels");
        }
        std::string path = current_path();
        bool ok = true;
        json* where = place(std::move(container), ok);
        if (!ok)
            return false;
        m_frames.push_back(Frame{where, std::move(path), {}, {}, 0});
        return true;
    }

    bool close() {
        m_frames.pop_back();
        return true;
    }

    bool fail(Errc code, std::string message) {
        if (!m_error)
            m_error = make_error(code, std::move(message));
        return false;
    }

    const StrictJsonLimits& m_limits;
    std::vector<Frame> m_frames;
    json m_root;
    std::optional<Error> m_error;
};

}  // namespace

Result<json> parse_strict_json(std::string_view text, const StrictJsonLimits& limits) {
    if (text.size() > limits.max_input_bytes) {
        return make_error(Errc::limit_exceeded,
                          "document is " + std::to_string(text.size()) + " bytes, above the " +
                              std::to_string(limits.max_input_bytes) + "-byte limit");
    }
    if (text.size() >= 2 &&
        ((text[0] == '\xff' && text[1] == '\xfe') || (text[0] == '\xfe' && text[1] == '\xff'))) {
        return make_error(Errc::parse, "document is UTF-16 encoded; JSON must be UTF-8",
                          "write the file as UTF-8 (the collector's -OutFile does; PowerShell's "
                          "'>' redirection writes UTF-16)");
    }
    if (text.empty())
        return make_error(Errc::parse, "document is empty");
    // A raw NUL byte is never valid JSON (inside strings it must be escaped), but nlohmann's lexer
    // takes it for the end of input and would accept whatever follows it.
    if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
        return make_error(Errc::parse, "malformed JSON: NUL byte at offset " + std::to_string(nul));
    }

    StrictDomBuilder builder(limits);
    const bool parsed = json::sax_parse(text.begin(), text.end(), &builder,
                                        json::input_format_t::json, /*strict=*/true,
                                        /*ignore_comments=*/false);
    if (builder.failed())
        return builder.take_error();
    if (!parsed)
        return make_error(Errc::parse, "malformed JSON");
    return builder.take_root();
}

}  // namespace ssoescrow::topology
