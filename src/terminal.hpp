// Output policy (after age):
// - results (what the user asked for: a fingerprint, a JSON document, a report) go to stdout;
// - diagnostics go to stderr as "ssoescrow: error: ..." / "ssoescrow: warning: ..." /
//   "ssoescrow: hint: ...", lower-case, no final period;
// - prompts go to the terminal (/dev/tty), never to stdout;
// - nothing secret is ever printed: messages are built from names, ids and public values only.
#pragma once

#include <string_view>

#include "crypto/result.hpp"

namespace ssoescrow {

void print_error(const Error& error);
void print_warning(std::string_view message);
void print_info(std::string_view message);

}  // namespace ssoescrow
