#include "platform/environment.hpp"

#include <stdlib.h>

#include <cstdlib>
#include <string>

namespace ssoescrow::platform {

std::optional<std::string> environment_variable(std::string_view name) {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr)
        return std::nullopt;
    return std::string(value);
}

bool set_environment_variable(std::string_view name, const std::optional<std::string>& value) {
    const std::string key(name);
    if (value)
        return ::setenv(key.c_str(), value->c_str(), 1) == 0;
    return ::unsetenv(key.c_str()) == 0;
}

}  // namespace ssoescrow::platform
