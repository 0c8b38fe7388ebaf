#include "platform/interrupt.hpp"

#include <cstring>
#include <utility>

#include "platform/interrupt_state.hpp"
#include "platform/path_text.hpp"

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
        case CleanupStep::log_failure:
            return "log-failure";
        case CleanupStep::end_process:
            return "end-process";
    }
    return "unknown";
}

namespace interrupt_state {

namespace {

// Namespace-scope and constant-initialised (constinit): a function-local static would be
// initialised on first use under a guard lock, which a signal handler must not take.
constinit LockSlots g_lock_slots{};

}  // namespace

LockSlots& lock_slots() noexcept {
    return g_lock_slots;
}

namespace {

// Two buffers of prepared lines: prepare() fills the one the handler does not point at, then
// points at it, so an interrupt in the middle of prepare() still finds complete lines.
struct LogLines {
    std::atomic<int> state{k_free};
    std::array<std::size_t, k_max_kinds> sizes{};
    char text[k_max_kinds][InterruptLogLine::k_max_line];
};

struct LogState {
    std::atomic<bool> active{false};
    std::atomic<std::intptr_t> handle{-1};
    std::atomic<int> current{-1};  // index into buffers; -1: nothing prepared
    std::array<LogLines, 2> buffers;
};

constinit LogState g_log_state{};

LogState& log_state() noexcept {
    return g_log_state;
}

}  // namespace

LogLineToWrite take_log_line(std::size_t kind) noexcept {
    LogState& log = log_state();
    if (!log.active.load() || kind >= k_max_kinds)
        return {};
    // Twice: prepare() may have moved on to the other buffer between the load and the claim.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const int current = log.current.load();
        if (current < 0)
            return {};
        LogLines& lines = log.buffers[static_cast<std::size_t>(current)];
        int expected = k_ready;
        if (lines.state.compare_exchange_strong(expected, k_claimed))
            return {log.handle.load(), std::string_view(lines.text[kind], lines.sizes[kind])};
    }
    return {};
}

}  // namespace interrupt_state

using namespace interrupt_state;

// --- LockReleaseOnInterrupt ---

Result<LockReleaseOnInterrupt> LockReleaseOnInterrupt::watch(
    const std::filesystem::path& lock_file, const std::filesystem::path& guard_file,
    std::string_view lock_id) {
    const std::filesystem::path::string_type& lock_text = lock_file.native();
    const std::filesystem::path::string_type& guard_text = guard_file.native();
    const std::string id_line = "\nid " + std::string(lock_id) + "\n";
    if (lock_text.size() >= k_max_path || guard_text.size() >= k_max_path ||
        id_line.size() >= sizeof LockSlot::id_line) {
        return make_error(Errc::limit_exceeded,
                          "writer lock path too long: " + path_to_utf8(lock_file));
    }
    LockSlots& slots = lock_slots();
    for (std::size_t i = 0; i < slots.size(); ++i) {
        int expected = k_free;
        if (!slots[i].state.compare_exchange_strong(expected, k_writing))
            continue;
        LockSlot& slot = slots[i];
        std::memcpy(slot.lock_file, lock_text.c_str(), (lock_text.size() + 1) * sizeof(PathChar));
        std::memcpy(slot.guard_file, guard_text.c_str(),
                    (guard_text.size() + 1) * sizeof(PathChar));
        std::memcpy(slot.id_line, id_line.c_str(), id_line.size() + 1);
        acquire_handlers();
        slot.state.store(k_ready);
        return LockReleaseOnInterrupt(static_cast<int>(i));
    }
    return make_error(Errc::internal, "more than " + std::to_string(k_max_watched_locks) +
                                          " writer locks held at once");
}

LockReleaseOnInterrupt::LockReleaseOnInterrupt(LockReleaseOnInterrupt&& other) noexcept
    : m_slot(std::exchange(other.m_slot, -1)) {}

LockReleaseOnInterrupt& LockReleaseOnInterrupt::operator=(LockReleaseOnInterrupt&& other) noexcept {
    if (this != &other) {
        forget();
        m_slot = std::exchange(other.m_slot, -1);
    }
    return *this;
}

LockReleaseOnInterrupt::~LockReleaseOnInterrupt() {
    forget();
}

void LockReleaseOnInterrupt::forget() noexcept {
    if (m_slot < 0)
        return;
    int expected = k_ready;
    // A slot the handler claimed stays claimed: the handler is ending the process.
    lock_slots()[static_cast<std::size_t>(m_slot)].state.compare_exchange_strong(expected, k_free);
    m_slot = -1;
    release_handlers();
}

// --- InterruptLogLine ---

Result<InterruptLogLine> InterruptLogLine::watch(const AppendOnlyFile& log) {
    LogState& state = log_state();
    bool expected = false;
    if (!state.active.compare_exchange_strong(expected, true))
        return make_error(Errc::internal, "a job log is watched for interrupts already");
    state.current.store(-1);
    for (LogLines& lines : state.buffers)
        lines.state.store(k_free);
    state.handle.store(log.native_handle());
    acquire_handlers();
    InterruptLogLine watched;
    watched.m_active = true;
    return watched;
}

InterruptLogLine::InterruptLogLine(InterruptLogLine&& other) noexcept
    : m_active(std::exchange(other.m_active, false)) {}

InterruptLogLine::~InterruptLogLine() {
    if (!m_active)
        return;
    LogState& state = log_state();
    state.current.store(-1);
    release_handlers();
    state.handle.store(-1);
    state.active.store(false);
}

Status InterruptLogLine::prepare(std::span<const std::string> lines) {
    if (!m_active)
        return make_error(Errc::internal, "prepare: no job log is watched");
    if (lines.size() != interrupt_kinds().size() || lines.size() > k_max_kinds)
        return make_error(Errc::invalid_argument, "prepare: one line per interrupt kind needed");
    for (const std::string& line : lines) {
        if (line.size() > k_max_line)
            return make_error(Errc::limit_exceeded,
                              "the prepared interrupt log line is longer "
                              "than " +
                                  std::to_string(k_max_line) + " bytes");
    }
    LogState& state = log_state();
    const int next = state.current.load() == 0 ? 1 : 0;
    LogLines& buffer = state.buffers[static_cast<std::size_t>(next)];
    int expected = buffer.state.load();
    // Claimed: an interrupt is being handled and the process is ending; nothing to update.
    if (expected == k_claimed || !buffer.state.compare_exchange_strong(expected, k_writing))
        return {};
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::memcpy(buffer.text[i], lines[i].data(), lines[i].size());
        buffer.sizes[i] = lines[i].size();
    }
    buffer.state.store(k_ready);
    state.current.store(next);
    return {};
}

}  // namespace ssoescrow::platform
