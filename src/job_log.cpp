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
    TRY_ASSIGN(platform::InterruptLogLine watched, platform::InterruptLogLine::watch(*m_json));
    m_interrupt_line.emplace(std::move(watched));
    return prepare_interrupt_lines(m_clock.now());
}

Status JobLog::prepare_interrupt_lines(std::int64_t time) {
    if (!m_interrupt_line)
        return {};
    std::vector<std::string> lines;
    for (const platform::InterruptKind& kind : platform::interrupt_kinds()) {
        const std::string name(kind.name);
        lines.push_back(
            json_line(LogLevel::error, "failed", "interrupted by " + name,
                      {{"exit-code", std::to_string(kind.exit_status)}, {"signal", name}}, time));
    }
    return m_interrupt_line->prepare(lines);
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
    m_interrupt_line.reset();  // the job's last line is written: an interrupt adds no other
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
    const std::int64_t now = m_clock.now();
    const std::string text = json_line(level, event, message, fields, now);
    if (!m_json->append(text)) {
        m_json_failed = true;
        print_warning("cannot write the JSON log " + platform::path_to_utf8(m_json_path) +
                      "; further events go to stderr only");
        return;
    }
    // Too long only with a command name no job has; the line prepared before stays.
    (void)prepare_interrupt_lines(now);
}

std::string JobLog::json_line(LogLevel level, std::string_view event, std::string_view message,
                              const LogFields& fields, std::int64_t time) const {
    nlohmann::ordered_json line;
    line["schema"] = "ssoescrow-log/1";
    line["time"] = vault::format_time(time);
    line["level"] = level_name(level);
    line["command"] = m_command;
    line["event"] = event;
    line["message"] = message;
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto& [key, value] : fields)
        object[key] = value;
    line["fields"] = std::move(object);
    // Invalid UTF-8 (a bridge message, a file name) is replaced, never a reason to lose a line.
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace ssoescrow
