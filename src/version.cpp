#include "src/version.hpp"

namespace ssoescrow {

std::string_view build_version() noexcept {
    return SSOESCROW_VERSION;
}

}  // namespace ssoescrow
