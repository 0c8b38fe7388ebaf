// The system log on Windows: ReportEventW into the Application log under the event source, and
// the event log read back when the system keeps one (Wine accepts the call but keeps nothing, so
// there the read-back is skipped with a note).
#include <catch2/catch.hpp>

#include <windows.h>

#include <optional>
#include <string>
#include <vector>

#include "platform/system_log.hpp"
#include "platform/windows/win_text.hpp"

using namespace ssoescrow;

namespace {

// Whether the newest events of the Application log hold an event `id` of `source` whose first
// insertion string is `text`; nullopt when the log cannot be read.
std::optional<bool> newest_events_hold(const std::wstring& source, DWORD id,
                                       const std::wstring& text) {
    HANDLE log = ::OpenEventLogW(nullptr, L"Application");
    if (log == nullptr)
        return std::nullopt;
    std::vector<BYTE> buffer(64 << 10);
    DWORD read = 0;
    DWORD needed = 0;
    bool found = false;
    bool any = false;
    for (int round = 0; round < 4 && !found; ++round) {
        if (!::ReadEventLogW(log, EVENTLOG_SEQUENTIAL_READ | EVENTLOG_BACKWARDS_READ, 0,
                             buffer.data(), static_cast<DWORD>(buffer.size()), &read, &needed)) {
            break;
        }
        for (DWORD at = 0; at < read;) {
            const auto* record = reinterpret_cast<const EVENTLOGRECORD*>(buffer.data() + at);
            any = true;
            const auto* name = reinterpret_cast<const wchar_t*>(record + 1);
            const auto* strings =
                reinterpret_cast<const wchar_t*>(buffer.data() + at + record->StringOffset);
            if (source == name && (record->EventID & 0xFFFF) == id && record->NumStrings == 1 &&
                text == strings) {
                found = true;
                break;
            }
            at += record->Length;
        }
    }
    ::CloseEventLog(log);
    if (!any)
        return std::nullopt;
    return found;
}

}  // namespace

TEST_CASE("an event reaches the Application log under its source", "[platform][windows]") {
    CHECK(platform::system_log_on_by_default());
    const std::string text = "ssoescrow unit test event " + std::to_string(::GetTickCount64());
    const Status written = platform::write_system_log_native(
        "ssoescrow", 1040, platform::SystemLogLevel::warning, text);
    REQUIRE(written.ok());
    const auto found = newest_events_hold(L"ssoescrow", 1040, platform::windows::to_wide(text));
    if (!found) {
        WARN("the Application log cannot be read back here (Wine keeps none): write checked only");
        return;
    }
    CHECK(*found);
}
