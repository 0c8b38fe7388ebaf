#include "platform/system_log.hpp"

#include <string>

#include "crypto/bytes.hpp"
#include "platform/environment.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/test_hooks.hpp"

namespace ssoescrow::platform {

std::string_view system_log_level_name(SystemLogLevel level) noexcept {
    switch (level) {
        case SystemLogLevel::information:
            return "information";
        case SystemLogLevel::warning:
            return "warning";
        case SystemLogLevel::error:
            return "error";
    }
    return "error";
}

Status write_system_log(std::string_view source, int event_id, SystemLogLevel level,
                        std::string_view message) {
    if constexpr (test_hooks::k_enabled) {
        if (auto file = environment_variable("SSOESCROW_TEST_SYSTEM_LOG"); file && !file->empty()) {
            if (*file == "fail") {
                return make_error(Errc::io, "the system log refused the event (test hook)");
            }
            const std::string line = std::string(source) + "\t" + std::to_string(event_id) + "\t" +
                                     std::string(system_log_level_name(level)) + "\t" +
                                     std::string(message) + "\n";
            return append_file_durably(path_from_utf8(*file), as_bytes(line), CreateIfMissing::yes);
        }
    }
    return write_system_log_native(source, event_id, level, message);
}

}  // namespace ssoescrow::platform
