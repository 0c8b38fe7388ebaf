// Pieces shared by the protocol operations (main.cpp) and the admin verbs (admin.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/result.hpp"

namespace ssoescrow::emulator {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_usage = 2;  // emulator misuse or a malformed request
inline constexpr int k_exit_state = 3;  // state folder missing, damaged or unwritable

extern const char* const k_usage;

// Print "sso-emulator: error: ..." (and the hint) on stderr; return the exit code. Without an
// explicit code: usage and parse errors exit 2, everything else 3.
int fail_usage(const std::string& message);
int fail_error(const Error& e, std::optional<int> exit_code = std::nullopt);

int admin_main(const std::string& state_dir, const std::optional<std::string>& node_arg,
               const std::vector<std::string>& args);

}  // namespace ssoescrow::emulator
