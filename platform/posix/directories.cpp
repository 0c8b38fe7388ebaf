#include "platform/directories.hpp"

#include <string>
#include <system_error>

#include "platform/environment.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow::platform {

Result<std::filesystem::path> temp_directory() {
    std::error_code error;
    std::filesystem::path temp = std::filesystem::temp_directory_path(error);
    if (error) {
        const std::optional<std::string> tmpdir = environment_variable("TMPDIR");
        return make_error(Errc::io,
                          "no temp directory (TMPDIR=" + tmpdir.value_or("unset, /tmp") +
                              "): " + error.message(),
                          "set TMPDIR to an existing private directory");
    }
    return temp;
}

Result<std::filesystem::path> default_state_root() {
    // Only absolute values count (the XDG base directory specification ignores relative ones).
    if (const auto xdg = environment_variable("XDG_STATE_HOME"); xdg && !xdg->empty() &&
                                                                 (*xdg)[0] == '/')
        return path_from_utf8(*xdg) / "ssoescrow";
    if (const auto home = environment_variable("HOME"); home && !home->empty() && (*home)[0] == '/')
        return path_from_utf8(*home) / ".local" / "state" / "ssoescrow";
    return make_error(Errc::not_found, "no state directory: neither XDG_STATE_HOME nor HOME is set",
                      "pass --state-dir DIR (a directory outside the vault)");
}

}  // namespace ssoescrow::platform
