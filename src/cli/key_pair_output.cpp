#include "src/cli/key_pair_output.hpp"

#include <system_error>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow::cli {

namespace fs = std::filesystem;

Status refuse_existing_key_pair(const fs::path& key_path, const fs::path& pub_path) {
    for (const fs::path& path : {key_path, pub_path}) {
        std::error_code ec;
        if (fs::exists(fs::symlink_status(path, ec))) {
            return make_error(Errc::already_exists,
                              platform::path_to_utf8(path) + " already exists",
                              "choose another --out name; existing keys are never overwritten");
        }
    }
    return {};
}

Status write_public_line_or_undo_key(const fs::path& key_path, const fs::path& pub_path,
                                     const std::string& line) {
    const std::string text = line + "\n";
    if (auto written = platform::write_secret_file_exclusive(pub_path, as_bytes(text)); !written) {
        std::error_code ignored;
        fs::remove(key_path, ignored);
        return std::move(written).error();
    }
    return {};
}

}  // namespace ssoescrow::cli
