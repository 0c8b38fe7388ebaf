#include "src/job_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <nlohmann/json.hpp>

#include "src/exit_codes.hpp"
#include "src/terminal.hpp"
#include "vault/file_io.hpp"
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

JobLog::~JobLog() {
    if (m_json_fd >= 0)
        ::close(m_json_fd);
}

Status JobLog::open_json(const std::filesystem::path& file) {
    // O_NONBLOCK: a FIFO given by mistake must be refused, not block the job waiting for a
    // reader (it has no effect on the regular file we accept).
    const int fd = ::open(
        file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    if (fd < 0)
        return with_context(vault::errno_error(errno, "open the JSON log", file), "--log-json");
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(Errc::io, "--log-json: " + file.string() + " is not a regular file",
                          "give the path of a log file (it is created if missing)");
    }
    m_json_fd = fd;
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
    if (m_json_fd < 0 || m_json_failed)
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
    const ssize_t written = ::write(m_json_fd, text.data(), text.size());
    if (written != static_cast<ssize_t>(text.size()) || ::fsync(m_json_fd) != 0) {
        m_json_failed = true;
        print_warning("cannot write the JSON log " + m_json_path.string() +
                      "; further events go to stderr only");
    }
}

}  // namespace ssoescrow
