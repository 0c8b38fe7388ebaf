#include "src/job_log.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "src/exit_codes.hpp"
#include "src/terminal.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow {

namespace {

std::string_view level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warning:
            return "warning";
        case LogLevel::error:
            return "error";
    }
    return "error";
}

}  // namespace

JobLog::JobLog(std::string command, Verbosity verbosity, vault::Clock& clock)
    : m_command(std::move(command)), m_verbosity(verbosity), m_clock(clock) {}

JobLog::~JobLog() = default;

Status JobLog::open_json(const std::filesystem::path& file) {
    // A FIFO given by mistake is refused, never waited on (see platform::AppendOnlyFile).
    Result<platform::AppendOnlyFile> opened =
        platform::AppendOnlyFile::open(file, "open the JSON log");
    if (!opened) {
        if (opened.error().code == Errc::invalid_argument) {
            return make_error(
                Errc::io, "--log-json: " + platform::path_to_utf8(file) + " is not a regular file",
                "give the path of a log file (it is created if missing)");
        }
        return with_context(std::move(opened).error(), "--log-json");
    }
    m_json.emplace(std::move(opened).value());
    m_json_path = file;
    return {};
}

void JobLog::debug(std::string_view event, std::string_view message, const LogFields& fields) {
    write(LogLevel::debug, event, message, fields, m_verbosity == Verbosity::verbose);
}

void JobLog::info(std::string_view event, std::string_view message, const LogFields& fields) {
    write(LogLevel::info, event, message, fields, m_verbosity != Verbosity::quiet);
}

void JobLog::warning(std::string_view event, std::string_view message, const LogFields& fields) {
    write(LogLevel::warning, event, message, fields, true);
}

void JobLog::failure(const Error& error) {
    LogFields fields = {{"exit-code", std::to_string(exit_code_for(error.code))}};
    if (!error.hint.empty())
        fields.emplace_back("hint", error.hint);
    write(LogLevel::error, "failed", error.message, fields, false);
}

void JobLog::write(LogLevel level, std::string_view event, std::string_view message,
                   const LogFields& fields, bool to_stderr) {
    if (to_stderr) {
        if (level == LogLevel::warning)
            print_warning(m_command + ": " + std::string(message));
        else
            print_info(m_command + ": " + std::string(message));
    }
    if (!m_json || m_json_failed)
        return;
    nlohmann::ordered_json line;
    line["schema"] = "ssoescrow-log/1";
    line["time"] = vault::format_time(m_clock.now());
    line["level"] = level_name(level);
    line["command"] = m_command;
    line["event"] = event;
    line["message"] = message;
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto& [key, value] : fields)
        object[key] = value;
    line["fields"] = std::move(object);
    // Invalid UTF-8 (a bridge message, a file name) is replaced, never a reason to lose a line.
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    if (!m_json->append(text)) {
        m_json_failed = true;
        print_warning("cannot write the JSON log " + platform::path_to_utf8(m_json_path) +
                      "; further events go to stderr only");
    }
}

}  // namespace ssoescrow
