#include "platform/arguments.hpp"

namespace ssoescrow::platform {

Utf8Arguments utf8_arguments(int argc, char** argv) {
    return Utf8Arguments(std::vector<std::string>(argv, argv + argc));
}

void use_utf8_console() noexcept {}

}  // namespace ssoescrow::platform
