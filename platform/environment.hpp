// Reading the environment. Only non-secret settings ever come from here (test hooks, TMPDIR,
// HOME, SSOESCROW_* defaults); a secret is never read from the environment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ssoescrow::platform {

// The value of environment variable `name` as UTF-8 (getenv / _wgetenv), or nullopt when unset.
std::optional<std::string> environment_variable(std::string_view name);

// Sets (or, with nullopt, removes) environment variable `name` for this process and the children
// it starts afterwards. For tests and the test hooks; false when the system refuses.
bool set_environment_variable(std::string_view name, const std::optional<std::string>& value);

}  // namespace ssoescrow::platform
