// The custodian's confirmation of an approval (restore approve, rekey approve): the details are
// shown, then only "yes" typed on the terminal approves.
#pragma once

#include <string>
#include <string_view>

#include "crypto/result.hpp"

namespace ssoescrow::cli {

// Asks `question` after `details` on the terminal (platform/terminal.hpp). No terminal is
// Errc::usage with the hint to read the details and run again with --yes; any answer but "yes"
// is Errc::precondition ("not approved: nothing was written").
[[nodiscard]] Status confirm_on_terminal(const std::string& details, std::string_view question);

}  // namespace ssoescrow::cli
