// The log of an unattended job (backup, rotate, import): what happened, step by step, for the
// operator and for the scheduler.
//
// - Human lines go to stderr ("ssoescrow: backup: ..."): info and above by default, debug too
//   with --verbose, nothing but warnings and errors with --quiet.
// - With --log-json FILE every event (debug included) is also appended to FILE as one JSON
//   object per line (JSON Lines), schema "ssoescrow-log/1" (README "Job logs"):
//     {"schema":"ssoescrow-log/1","time":"2026-11-26T15:00:00Z","level":"info",
//      "command":"backup","event":"bridge-backup","message":"...","fields":{"backup":"..."}}
//   The file is opened O_APPEND|O_NOFOLLOW, created 0600; each line is written with one
//   write(2) so that concurrent jobs never interleave inside a line.
// - A job ended by SIGINT/SIGTERM/SIGHUP (Windows: a console control event) still ends its JSON
//   log with a `failed` line: level "error", message "interrupted by SIGTERM", fields
//   "exit-code" (what the parent sees: 128+N; 3221225786 = 0xC000013A on Windows) and "signal"
//   (SIGINT/SIGTERM/SIGHUP; CTRL_C_EVENT, CTRL_BREAK_EVENT, CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT,
//   CTRL_SHUTDOWN_EVENT), timed like the event before it. The handler cannot format anything, so
//   the line of every interrupt is prepared when the log opens and after each event
//   (platform::InterruptLogLine) and written with one write to the open log.
// Nothing secret is ever logged: events carry names, ids, MSIDs, sizes and durations only.
// Callers build every message from public values; there is no API that takes a SecretBytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/result.hpp"
#include "platform/file_io.hpp"
#include "platform/interrupt.hpp"
#include "vault/clock.hpp"

namespace ssoescrow {

enum class LogLevel { debug, info, warning, error };

using LogFields = std::vector<std::pair<std::string, std::string>>;

class JobLog {
  public:
    enum class Verbosity { quiet, normal, verbose };

    JobLog(std::string command, Verbosity verbosity, vault::Clock& clock);
    JobLog(const JobLog&) = delete;
    JobLog& operator=(const JobLog&) = delete;
    ~JobLog();

    // Opens (creates 0600, appends to) the JSON log. Errors name the file.
    [[nodiscard]] Status open_json(const std::filesystem::path& file);

    void debug(std::string_view event, std::string_view message, const LogFields& fields = {});
    void info(std::string_view event, std::string_view message, const LogFields& fields = {});
    void warning(std::string_view event, std::string_view message, const LogFields& fields = {});
    // The final error of the job: to the JSON log only (main prints it on stderr).
    void failure(const Error& error);

  private:
    void write(LogLevel level, std::string_view event, std::string_view message,
               const LogFields& fields, bool to_stderr);
    std::string json_line(LogLevel level, std::string_view event, std::string_view message,
                          const LogFields& fields, std::int64_t time) const;
    // The `failed` line of each interrupt, timed `time` (see above).
    [[nodiscard]] Status prepare_interrupt_lines(std::int64_t time);

    std::string m_command;
    Verbosity m_verbosity;
    vault::Clock& m_clock;
    std::optional<platform::AppendOnlyFile> m_json;
    std::filesystem::path m_json_path;
    bool m_json_failed = false;
    // After m_json: stops watching before the file closes.
    std::optional<platform::InterruptLogLine> m_interrupt_line;
};

}  // namespace ssoescrow
