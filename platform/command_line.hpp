// Command lines without a shell: splitting the --bridge "CMD ARGS..." string into argv, and
// building the one command-line string that Windows passes to a new process.
//
// Two rule sets, both pure functions so that each is tested on every system:
//
// - POSIX rules (split_posix_command_line): as a POSIX shell splits a simple command, without
//   ever running one: words separated by unquoted blanks; '...' is literal; "..." keeps blanks and
//   honours backslash before " \ $ ` and newline; a backslash outside quotes escapes the next
//   character. Anything a shell would expand ($VAR, globs, ~, ;, |, >) is taken literally, so
//   nothing in the string can start a second command.
//
// - Windows rules (split_windows_command_line): exactly what CommandLineToArgvW does, which is
//   also what the child's C runtime does with the line CreateProcessW passes it:
//     * the first word (the program) ends at the next blank, or, when it starts with ", at the
//       next " whatever comes in between; backslashes are literal in it (C:\Program Files\...);
//     * in the other words, blanks (space, tab) separate words outside quotes; " toggles quoting;
//       2n backslashes before " give n backslashes and the " toggles; 2n+1 backslashes before "
//       give n backslashes and a literal "; backslashes not before " are literal; inside quotes
//       "" gives a literal " and ends the quoted part (there the C runtime since 2008 differs: it
//       stays in the quoted part; join_windows_command_line never writes "" inside quotes, so
//       both read its lines alike); a missing closing " is not an error. One deliberate
//       difference: blanks before the program are skipped (CommandLineToArgvW would return an
//       empty program name).
//   So a Windows administrator writes
//     --bridge "powershell.exe -NoProfile -File \"C:\Program Files\ssoescrow\sso-bridge.ps1\""
//   (in cmd.exe or PowerShell the inner quotes arrive as plain ") and the bridge gets the path
//   with its space as one argument.
//
// split_command_line picks the rules of the system ssoescrow runs on: this is the only place
// that choice is made.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.hpp"

namespace ssoescrow::platform {

// Errc::usage for an empty command, an unterminated quote or a trailing backslash.
Result<std::vector<std::string>> split_posix_command_line(std::string_view command);

// Errc::usage for a command without any word.
Result<std::vector<std::string>> split_windows_command_line(std::string_view command);

// The rules of this system (POSIX or Windows, above).
Result<std::vector<std::string>> split_command_line(std::string_view command);

// The command line for CreateProcessW: the inverse of split_windows_command_line, so that the
// child's CommandLineToArgvW (or C runtime) gives back exactly `argv`. The program name is quoted
// when it holds a blank and may not contain " (Errc::usage), nor may any argument contain a NUL
// character; an empty argv is Errc::usage.
Result<std::string> join_windows_command_line(const std::vector<std::string>& argv);

}  // namespace ssoescrow::platform
