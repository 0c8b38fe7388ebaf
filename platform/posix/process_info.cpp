#include "platform/process_info.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace ssoescrow::platform {

std::int64_t current_process_id() noexcept {
    return static_cast<std::int64_t>(::getpid());
}

ProcessState process_state(std::int64_t pid) noexcept {
    if (pid == current_process_id())
        return ProcessState::alive;
    if (pid <= 0 || pid > static_cast<std::int64_t>(INT32_MAX))
        return ProcessState::unknown;
    // Signal 0 checks existence only. EPERM means it exists but belongs to another user.
    if (::kill(static_cast<pid_t>(pid), 0) == 0)
        return ProcessState::alive;
    if (errno == ESRCH)
        return ProcessState::dead;
    return errno == EPERM ? ProcessState::alive : ProcessState::unknown;
}

std::string host_name() {
    std::array<char, 256> buffer{};
    if (::gethostname(buffer.data(), buffer.size() - 1) == 0 && buffer[0] != '\0')
        return std::string(buffer.data());
    return "unknown-host";
}

std::string user_name() {
    if (const passwd* entry = ::getpwuid(::geteuid());
        entry != nullptr && entry->pw_name != nullptr)
        return entry->pw_name;
    return "uid-" + std::to_string(::geteuid());
}

}  // namespace ssoescrow::platform
