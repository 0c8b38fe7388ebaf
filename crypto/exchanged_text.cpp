#include "crypto/exchanged_text.hpp"

namespace ssoescrow::crypto {
namespace {

constexpr std::string_view k_byte_order_mark = "\xEF\xBB\xBF";

bool is_blank(std::string_view line) noexcept {
    return line.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace

std::string normalise_exchanged_text(std::string_view text) {
    if (text.substr(0, k_byte_order_mark.size()) == k_byte_order_mark)
        text.remove_prefix(k_byte_order_mark.size());
    std::string out;
    out.reserve(text.size() + 1);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
            continue;  // the LF that follows is kept
        out += text[i];
    }
    // Drop trailing blank lines (and a blank unterminated last line). A missing final LF is not
    // added: the strict parser refuses a truncated file, whatever its line ends.
    for (;;) {
        std::size_t end = out.size();
        if (end > 0 && out[end - 1] == '\n')
            --end;
        const std::size_t start = out.rfind('\n', end == 0 ? 0 : end - 1);
        const std::size_t line_start = start == std::string::npos || end == 0 ? 0 : start + 1;
        if (!is_blank(std::string_view(out).substr(line_start, end - line_start)))
            break;
        out.resize(line_start);
        if (out.empty())
            return out;
    }
    return out;
}

std::optional<Error> strict_line_end_error(std::string_view text, std::string_view source,
                                           std::string_view kind) {
    const std::string where = std::string(source) + ": " + std::string(kind);
    if (text.substr(0, k_byte_order_mark.size()) == k_byte_order_mark) {
        return make_error(Errc::parse,
                          where + ": the file starts with a byte order mark (an editor added it)",
                          "ssoescrow writes this file itself and reads it back only as written: "
                          "use the original file, not a copy saved by an editor");
    }
    if (text.find("\r\n") != std::string_view::npos) {
        return make_error(Errc::parse, where + ": the file has Windows line ends (CR LF)",
                          "ssoescrow writes this file itself with LF line ends and reads it back "
                          "only as written: use the original file, not a copy saved by an editor "
                          "or a mail program");
    }
    return std::nullopt;
}

}  // namespace ssoescrow::crypto
