#include "vault/clock.hpp"

#include <chrono>

#include "platform/test_hooks.hpp"

namespace ssoescrow::vault {

std::int64_t SystemClock::now() {
    if (const auto fixed = platform::test_hooks::fixed_now())
        return *fixed;
    // std::chrono::system_clock counts Unix time (UTC, leap seconds excluded) on every system
    // since C++20.
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Clock& system_clock() {
    static SystemClock clock;
    return clock;
}

}  // namespace ssoescrow::vault
