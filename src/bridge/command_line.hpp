// Splits a --bridge "CMD ARGS..." string into argv the way a POSIX shell would for a simple
// command, without ever running a shell: words separated by unquoted blanks; '...' is literal;
// "..." keeps blanks and honours backslash before " \ $ ` and newline; a backslash outside quotes
// escapes the next character. Anything a shell would expand ($VAR, globs, ~, ;, |, >) is taken
// literally, so nothing in the string can start a second command.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"

namespace ssoescrow::bridge {

// Errc::usage for an empty command, an unterminated quote or a trailing backslash.
Result<std::vector<std::string>> split_command_line(std::string_view command);

}  // namespace ssoescrow::bridge
