#include "src/backup/scratch_dir.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "platform/directories.hpp"
#include "platform/environment.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "platform/process_info.hpp"

namespace ssoescrow::backup {
namespace fs = std::filesystem;

namespace {

Status check_parent(const fs::path& parent) {
    TRY_ASSIGN(const platform::FileStatus st, platform::file_status(parent));
    if (st.kind == platform::FileKind::missing) {
        return platform::file_error(std::make_error_code(std::errc::no_such_file_or_directory),
                                    "check the temp directory", parent);
    }
    if (st.kind == platform::FileKind::symlink) {
        return make_error(
            Errc::unsafe_permissions,
            "temp directory " + platform::path_to_utf8(parent) + " is a symbolic link",
            "give a real directory on local disk with --temp-dir");
    }
    if (st.kind != platform::FileKind::directory)
        return make_error(
            Errc::io, "temp directory " + platform::path_to_utf8(parent) + " is not a directory",
            "give a private directory on local disk with --temp-dir");
    if (st.others_may_replace_entries) {
        return make_error(Errc::unsafe_permissions,
                          "temp directory " + platform::path_to_utf8(parent) +
                              " is writable by everyone without the sticky bit",
                          "use a private directory with --temp-dir, or chmod +t it");
    }
    return {};
}

bool process_is_dead(std::int64_t pid) {
    return platform::process_state(pid) == platform::ProcessState::dead;
}

// The pid in "ssoescrow-scratch-<pid>-XXXXXX", or 0.
std::int64_t creator_pid(std::string_view name) {
    if (name.substr(0, k_scratch_prefix.size()) != k_scratch_prefix)
        return 0;
    name.remove_prefix(k_scratch_prefix.size());
    const auto dash = name.find('-');
    if (dash == std::string_view::npos || dash == 0)
        return 0;
    long pid = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + dash, pid);
    if (ec != std::errc() || end != name.data() + dash || pid <= 0 || pid > 0x7fffffff)
        return 0;
    return pid;
}

// The random part mkdtemp(3) (or the Windows equivalent) appends: 6 letters or digits.
bool has_scratch_suffix(std::string_view name) {
    const auto dash = name.rfind('-');
    if (dash == std::string_view::npos || name.size() - dash - 1 != 6)
        return false;
    for (const char c : name.substr(dash + 1)) {
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum)
            return false;
    }
    return true;
}

// Wipes one abandoned scratch directory. Returns why it was left, or nothing when it is gone.
std::optional<std::string> remove_abandoned_scratch_dir(const fs::path& dir) {
    const std::string dir_text = platform::path_to_utf8(dir);
    std::vector<fs::path> entries;
    std::error_code error;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error))
        entries.push_back(it->path());
    if (error)
        return "left " + dir_text + " of an interrupted run: cannot list it: " + error.message();
    std::optional<std::string> left;
    for (const fs::path& entry : entries) {
        const Result<platform::FileStatus> st = platform::file_status(entry);
        const bool removable = st && (st->kind == platform::FileKind::regular ||
                                      st->kind == platform::FileKind::symlink);
        if (!removable) {
            // Not a file a job wrote: whoever put it there decides what happens to it.
            if (!left) {
                left = "left " + dir_text +
                       " of an interrupted run: " + platform::path_to_utf8(entry.filename()) +
                       " in it is not a file ssoescrow wrote; remove the directory by hand "
                       "(it may hold an ENTSSO backup file)";
            }
            continue;
        }
        if (Status wiped = wipe_and_remove_file(entry); !wiped && !left)
            left = "left " + dir_text + " of an interrupted run: " + wiped.error().message;
    }
    if (left)
        return left;
    if (Status removed = platform::remove_empty_directory(dir); !removed)
        return "left " + dir_text + " of an interrupted run: " + removed.error().message;
    return std::nullopt;
}

}  // namespace

Status wipe_and_remove_file(const fs::path& file) {
    return platform::overwrite_and_remove_file(file);
}

Result<fs::path> scratch_parent(const fs::path& requested) {
    if (!requested.empty())
        return requested;
    Result<fs::path> temp = platform::temp_directory();
    if (!temp) {
        Error error = std::move(temp).error();
        error.code = Errc::io;
        error.hint = "give a private directory on local disk with --temp-dir, or set " +
                     std::string(platform::k_temp_directory_variable) + " to one";
        return error;
    }
    return temp;
}

Result<ScratchDir> ScratchDir::create(const fs::path& parent) {
    TRY(check_parent(parent));
    TRY_ASSIGN(fs::path dir, platform::create_private_temp_directory(
                                 parent, std::string(k_scratch_prefix) +
                                             std::to_string(platform::current_process_id()) + "-"));
    ScratchDir scratch;
    scratch.m_dir = std::move(dir);
    return scratch;
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept : m_dir(std::move(other.m_dir)) {
    other.m_dir.clear();
}

ScratchDir::~ScratchDir() {
    [[maybe_unused]] const Status ignored = wipe_and_remove();
}

Status ScratchDir::wipe_and_remove() {
    if (m_dir.empty())
        return {};
    Status result;
    std::error_code error;
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(m_dir, error), end; !error && it != end; it.increment(error))
        entries.push_back(it->path());
    if (error && error != std::errc::no_such_file_or_directory && result) {
        result = make_error(Errc::io,
                            "cannot list scratch directory " + platform::path_to_utf8(m_dir) +
                                ": " + error.message(),
                            "remove it by hand: it may hold an ENTSSO backup file");
    }
    for (const fs::path& entry : entries) {
        if (Status wiped = wipe_and_remove_file(entry); !wiped && result)
            result = std::move(wiped);
    }
    if (Status removed = platform::remove_empty_directory(m_dir);
        !removed && removed.error().code != Errc::not_found && result)
        result = std::move(removed);
    if (result)
        m_dir.clear();
    return result;
}

ScratchCleanup remove_abandoned_scratch_dirs(const fs::path& parent) {
    ScratchCleanup cleanup;
    std::error_code error;
    for (fs::directory_iterator it(parent, error), end; !error && it != end; it.increment(error)) {
        const std::string name = platform::path_to_utf8(it->path().filename());
        const std::int64_t pid = creator_pid(name);
        if (pid == 0 || !has_scratch_suffix(name))
            continue;
        const Result<platform::FileStatus> st = platform::file_status(it->path());
        if (!st || st->kind != platform::FileKind::directory || !st->owned_by_current_user ||
            !process_is_dead(pid)) {
            continue;
        }
        if (auto left = remove_abandoned_scratch_dir(it->path()))
            cleanup.skipped.push_back(std::move(*left));
        else
            ++cleanup.removed;
    }
    if (error && error != std::errc::no_such_file_or_directory) {
        cleanup.skipped.push_back(
            "cannot list temp directory " + platform::path_to_utf8(parent) +
            " for scratch directories of interrupted runs: " + error.message());
    }
    return cleanup;
}

}  // namespace ssoescrow::backup
