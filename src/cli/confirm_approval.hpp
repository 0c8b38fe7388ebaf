// The custodian's side of the files sent back to an operator (restore approve, rekey approve,
// rekey prove): the confirmation of an approval (the details are shown, then only "yes" typed on
// the terminal approves), and the writing of the file itself.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"

namespace ssoescrow::cli {

// Asks `question` after `details` on the terminal (platform/terminal.hpp). No terminal is
// Errc::usage with the hint to read the details and run again with --yes; any answer but "yes"
// is Errc::precondition ("not approved: nothing was written").
[[nodiscard]] Status confirm_on_terminal(const std::string& details, std::string_view question);
// With --yes the details go to stderr and nothing is asked; otherwise confirm_on_terminal.
[[nodiscard]] Status confirm_approval(const std::string& details, std::string_view question,
                                      bool yes);

// Writes `text` to `out` owner-only and never over an existing file, after checking it with
// `parse_back` (the reader the operator will use): our own output is verified before anything is
// written.
[[nodiscard]] Status write_custodian_file(const std::string& out, const std::string& text,
                                          const std::function<Status(ByteView)>& parse_back);

}  // namespace ssoescrow::cli
