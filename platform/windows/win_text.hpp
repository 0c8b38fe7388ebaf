// Helpers shared by the Windows implementation: UTF-8 <-> UTF-16 and system error text.
#pragma once

#include <windows.h>

#include <string>
#include <string_view>

namespace ssoescrow::platform::windows {

// UTF-8 -> UTF-16 (invalid sequences become U+FFFD) and back.
std::wstring to_wide(std::string_view utf8);
std::string to_utf8(std::wstring_view wide);

// "the system cannot find the file specified (error 2)": FormatMessageW's text, lower-cased first
// letter, no final period, with the number, for messages.
std::string error_text(DWORD error);

}  // namespace ssoescrow::platform::windows
