// Transitional: the interrupt cleanup lives in the platform layer (platform/interrupt.hpp). This
// header keeps the name src/restore/apply.cpp includes until it includes the platform header.
#pragma once

#include "platform/interrupt.hpp"

namespace ssoescrow {

using platform::InterruptCleanup;

}  // namespace ssoescrow
