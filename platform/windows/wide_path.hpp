// Paths for the wide (...W) Windows APIs.
#pragma once

#include <filesystem>
#include <string>

namespace ssoescrow::platform::windows {

// The UTF-16 form of `path` to pass to a ...W function. A path too long for MAX_PATH is made
// absolute (GetFullPathNameW, which also turns '/' into '\') and given the \\?\ prefix, or
// \\?\UNC\ for a share (\\server\share\...), which lifts the limit to 32767 characters. Shorter
// paths are passed as they are, so that relative paths keep their ordinary meaning.
std::wstring wide_path(const std::filesystem::path& path);

}  // namespace ssoescrow::platform::windows
