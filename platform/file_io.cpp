// The parts of platform/file_io.hpp that are the same on every system.
#include "platform/file_io.hpp"

namespace ssoescrow::platform {

bool exists_no_follow(const path& file) {
    const Result<FileStatus> status = file_status(file);
    return status && status->kind != FileKind::missing;
}

bool is_temp_name(std::string_view name) noexcept {
    return name.substr(0, k_temp_prefix.size()) == k_temp_prefix;
}

}  // namespace ssoescrow::platform
