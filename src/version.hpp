// The program's version, from the one place it is set: project(VERSION ...) in CMakeLists.txt.
#pragma once

#include <string_view>

namespace ssoescrow {

std::string_view build_version() noexcept;

}  // namespace ssoescrow
