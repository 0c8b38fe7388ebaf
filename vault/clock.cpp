#include "vault/clock.hpp"

#include <time.h>

#include "vault/test_hooks.hpp"

namespace ssoescrow::vault {

std::int64_t SystemClock::now() {
    if (const auto fixed = test_hooks::fixed_now())
        return *fixed;
    struct timespec ts {};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec);
}

Clock& system_clock() {
    static SystemClock clock;
    return clock;
}

}  // namespace ssoescrow::vault
