#include "platform/path_text.hpp"

namespace ssoescrow::platform {

std::filesystem::path path_from_utf8(std::string_view utf8) {
    // char8_t keeps the bytes as UTF-8 on every system (C++20 [fs.path.construct]).
    return std::filesystem::path(
        std::u8string(reinterpret_cast<const char8_t*>(utf8.data()), utf8.size()));
}

std::string path_to_utf8(const std::filesystem::path& path) {
    const std::u8string text = path.u8string();
    return std::string(reinterpret_cast<const char*>(text.data()), text.size());
}

}  // namespace ssoescrow::platform
