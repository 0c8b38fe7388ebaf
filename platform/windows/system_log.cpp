#include "platform/system_log.hpp"

#include <windows.h>

#include <string>

#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {

bool system_log_on_by_default() noexcept {
    return true;
}

Status write_system_log_native(std::string_view source, int event_id, SystemLogLevel level,
                               std::string_view message) {
    const std::wstring wide_source = windows::to_wide(source);
    // Succeeds even for a source nobody registered: the event is then written, and Event Viewer
    // shows the insertion string with a note that the description was not found. Registering
    // the source (the MSI, install-backup-task.ps1) points it at a message file whose "%1"
    // messages show the text as it is.
    HANDLE log = ::RegisterEventSourceW(nullptr, wide_source.c_str());
    if (log == nullptr) {
        return make_error(Errc::io, "cannot open the Application event log for source " +
                                        std::string(source) + ": " +
                                        windows::error_text(::GetLastError()));
    }
    const WORD type = level == SystemLogLevel::error     ? EVENTLOG_ERROR_TYPE
                      : level == SystemLogLevel::warning ? EVENTLOG_WARNING_TYPE
                                                         : EVENTLOG_INFORMATION_TYPE;
    const std::wstring text = windows::to_wide(message);
    LPCWSTR strings[1] = {text.c_str()};
    const BOOL written =
        ::ReportEventW(log, type, 0, static_cast<DWORD>(event_id), nullptr, 1, 0, strings, nullptr);
    const DWORD error = written ? ERROR_SUCCESS : ::GetLastError();
    ::DeregisterEventSource(log);
    if (!written) {
        return make_error(Errc::io, "cannot write to the Application event log (source " +
                                        std::string(source) + "): " + windows::error_text(error));
    }
    return {};
}

}  // namespace ssoescrow::platform
