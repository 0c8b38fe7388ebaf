// Paths are UTF-8 text everywhere inside ssoescrow (command line, messages, JSON, audit records)
// and become the system's own encoding only at the operating-system boundary: UTF-16 on Windows,
// bytes on POSIX. std::filesystem::path(std::string) and path::string() use the ANSI code page on
// Windows, which mangles non-ASCII names; these two functions are the only conversions to use.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ssoescrow::platform {

// The path named by UTF-8 text.
std::filesystem::path path_from_utf8(std::string_view utf8);

// The UTF-8 text of a path (for messages, JSON and records).
std::string path_to_utf8(const std::filesystem::path& path);

}  // namespace ssoescrow::platform
