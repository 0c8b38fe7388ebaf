#include "platform/system_log.hpp"

#include <syslog.h>

#include <string>

namespace ssoescrow::platform {

bool system_log_on_by_default() noexcept {
    return false;
}

Status write_system_log_native(std::string_view source, int event_id, SystemLogLevel level,
                               std::string_view message) {
    // openlog keeps the pointer it is given: the ident must outlive the call, hence static.
    static std::string ident;
    ident = std::string(source);
    const int priority = level == SystemLogLevel::error     ? LOG_ERR
                         : level == SystemLogLevel::warning ? LOG_WARNING
                                                            : LOG_INFO;
    ::openlog(ident.c_str(), LOG_PID, LOG_USER);
    // The message goes through "%s": a '%' in a path or a bridge message is text, not a format.
    ::syslog(priority, "[event %d] %s", event_id, std::string(message).c_str());
    ::closelog();
    // syslog(3) reports nothing: without a daemon listening, the event is dropped silently.
    return {};
}

}  // namespace ssoescrow::platform
