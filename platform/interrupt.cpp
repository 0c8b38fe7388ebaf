#include "platform/interrupt.hpp"

namespace ssoescrow::platform {

std::string_view cleanup_step_name(CleanupStep step) noexcept {
    switch (step) {
        case CleanupStep::kill_bridge:
            return "kill-bridge";
        case CleanupStep::wipe_scratch:
            return "wipe-scratch";
        case CleanupStep::release_lock:
            return "release-lock";
        case CleanupStep::restore_echo:
            return "restore-echo";
        case CleanupStep::end_process:
            return "end-process";
    }
    return "unknown";
}

}  // namespace ssoescrow::platform
