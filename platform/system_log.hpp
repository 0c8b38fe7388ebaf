// The system log: where an administrator's monitoring looks for a failed job without reading
// ssoescrow's own files.
//
// - Windows: the Application event log, through RegisterEventSourceW / ReportEventW with the
//   event source `source` (registered at installation: the MSI, or install-backup-task.ps1),
//   the event ID and type given, and the message as the event's one insertion string.
// - POSIX: syslog(3), facility LOG_USER, ident `source`, LOG_PID, priority LOG_INFO /
//   LOG_WARNING / LOG_ERR; the message is prefixed "[event ID] " (journald keeps it as MESSAGE;
//   `journalctl -t ssoescrow` lists them).
// - Test builds (SSOESCROW_TEST_HOOKS): SSOESCROW_TEST_SYSTEM_LOG=FILE appends one line
//   "SOURCE<TAB>ID<TAB>LEVEL<TAB>MESSAGE" to FILE instead, so the tests need no syslog daemon and
//   no event log. SSOESCROW_TEST_SYSTEM_LOG=fail makes every write fail.
//
// The caller builds `message` from public values only: it must never hold a secret.
#pragma once

#include <string_view>

#include "crypto/result.hpp"

namespace ssoescrow::platform {

enum class SystemLogLevel { information, warning, error };

std::string_view system_log_level_name(SystemLogLevel level) noexcept;

// Whether jobs write to the system log when not told either way: true on Windows (failures
// belong where Windows monitoring looks), false elsewhere (--log-syslog turns it on).
bool system_log_on_by_default() noexcept;

// Writes one event. Errc::io when the system refuses (names the source and the reason).
[[nodiscard]] Status write_system_log(std::string_view source, int event_id, SystemLogLevel level,
                                      std::string_view message);

// The system call behind write_system_log (posix/ or windows/system_log.cpp), without the hook.
[[nodiscard]] Status write_system_log_native(std::string_view source, int event_id,
                                             SystemLogLevel level, std::string_view message);

}  // namespace ssoescrow::platform
