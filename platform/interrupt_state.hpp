// Internal to platform/: the state the interrupt handlers of posix/interrupt.cpp and
// windows/interrupt.cpp read, kept by platform/interrupt.cpp. Lock-free atomics only: a handler
// may run at any point of the main thread's code (a POSIX signal on the same thread) or beside
// it (the Windows handler thread), so every buffer is published by a state flag set after its
// bytes are written, and claimed by the handler before it reads them.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "platform/interrupt.hpp"

namespace ssoescrow::platform::interrupt_state {

// free -> writing (main thread) -> ready -> claimed (handler) | free (main thread forgets).
enum SlotState : int { k_free, k_writing, k_ready, k_claimed };

using PathChar = std::filesystem::path::value_type;  // char (UTF-8) on POSIX, wchar_t on Windows
inline constexpr std::size_t k_max_path = 4096;

// A writer lock of LockReleaseOnInterrupt.
struct LockSlot {
    std::atomic<int> state{k_free};
    PathChar lock_file[k_max_path];
    PathChar guard_file[k_max_path];
    char id_line[64];  // "\nid <lock id>\n", as the lock file holds it
};

using LockSlots = std::array<LockSlot, LockReleaseOnInterrupt::k_max_watched_locks>;
LockSlots& lock_slots() noexcept;

// For the handler: runs `release(slot)` on every published lock, claiming it first so that the
// main thread never rewrites it meanwhile.
template <class Release>
void release_watched_locks(Release&& release) noexcept {
    for (LockSlot& slot : lock_slots()) {
        int expected = k_ready;
        if (slot.state.compare_exchange_strong(expected, k_claimed))
            release(static_cast<const LockSlot&>(slot));
    }
}

// The most interrupt kinds a platform has (Windows: five console events).
inline constexpr std::size_t k_max_kinds = 5;

// For the handler: the open log handle (a descriptor on POSIX, a HANDLE on Windows) and the
// prepared line for interrupt_kinds()[kind], claimed so that the main thread never rewrites it
// meanwhile; an empty line when no log is watched or none is prepared.
struct LogLineToWrite {
    std::intptr_t handle = -1;
    std::string_view line;
};
LogLineToWrite take_log_line(std::size_t kind) noexcept;

// Implemented by posix/interrupt.cpp and windows/interrupt.cpp: the handlers are installed while
// at least one user (InterruptCleanup, a watched lock or log, an echo-off prompt) needs them.
// Main thread only.
void acquire_handlers();
void release_handlers();

}  // namespace ssoescrow::platform::interrupt_state
