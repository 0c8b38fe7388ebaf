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
// Nothing secret is ever logged: events carry names, ids, MSIDs, sizes and durations only.
// Callers build every message from public values; there is no API that takes a SecretBytes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/result.hpp"
#include "platform/file_io.hpp"
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

    std::string m_command;
    Verbosity m_verbosity;
    vault::Clock& m_clock;
    std::optional<platform::AppendOnlyFile> m_json;
    std::filesystem::path m_json_path;
    bool m_json_failed = false;
};

}  // namespace ssoescrow
