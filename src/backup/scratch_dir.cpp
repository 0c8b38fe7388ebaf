#include "src/backup/scratch_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "vault/file_io.hpp"

namespace ssoescrow::backup {
namespace fs = std::filesystem;

namespace {

Status check_parent(const fs::path& parent) {
    struct stat st;
    if (::lstat(parent.c_str(), &st) != 0)
        return vault::errno_error(errno, "check the temp directory", parent);
    if (S_ISLNK(st.st_mode)) {
        return make_error(Errc::unsafe_permissions,
                          "temp directory " + parent.string() + " is a symbolic link",
                          "give a real directory on local disk with --temp-dir");
    }
    if (!S_ISDIR(st.st_mode))
        return make_error(Errc::io, "temp directory " + parent.string() + " is not a directory",
                          "give a private directory on local disk with --temp-dir");
    if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
        return make_error(
            Errc::unsafe_permissions,
            "temp directory " + parent.string() + " is writable by everyone without the sticky bit",
            "use a private directory with --temp-dir, or chmod +t it");
    }
    return {};
}

bool process_is_dead(pid_t pid) {
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// The pid in "ssoescrow-scratch-<pid>-XXXXXX", or 0.
pid_t creator_pid(std::string_view name) {
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
    return static_cast<pid_t>(pid);
}

}  // namespace

Status wipe_and_remove_file(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT)
        return {};
    Status result;
    if (fd >= 0) {
        struct stat st;
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            static const std::array<char, 4096> zeros{};
            off_t left = st.st_size;
            while (left > 0 && result) {
                const auto chunk =
                    static_cast<size_t>(std::min<off_t>(left, static_cast<off_t>(zeros.size())));
                const ssize_t n = ::write(fd, zeros.data(), chunk);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    result = vault::errno_error(n < 0 ? errno : EIO, "overwrite", file);
                else
                    left -= n;
            }
            if (result && ::fsync(fd) != 0)
                result = vault::errno_error(errno, "fsync of", file);
        }
        ::close(fd);
    }
    // ELOOP (a symlink) or another open failure: still remove the name, never follow it.
    if (::unlink(file.c_str()) != 0 && errno != ENOENT && result)
        result = vault::errno_error(errno, "remove", file);
    return result;
}

Result<fs::path> scratch_parent(const fs::path& requested) {
    if (!requested.empty())
        return requested;
    std::error_code error;
    fs::path temp = fs::temp_directory_path(error);
    if (error) {
        const char* tmpdir = std::getenv("TMPDIR");
        return make_error(
            Errc::io,
            "no temp directory (TMPDIR=" + std::string(tmpdir != nullptr ? tmpdir : "unset, /tmp") +
                "): " + error.message(),
            "give a private directory on local disk with --temp-dir, or set "
            "TMPDIR to one");
    }
    return temp;
}

Result<ScratchDir> ScratchDir::create(const fs::path& parent) {
    TRY(check_parent(parent));
    std::string pattern =
        (parent / (std::string(k_scratch_prefix) + std::to_string(::getpid()) + "-XXXXXX"))
            .string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr)
        return vault::errno_error(errno, "create a scratch directory in", parent);
    ScratchDir scratch;
    scratch.m_dir = fs::path(buffer.data());
    if (::chmod(scratch.m_dir.c_str(), 0700) != 0)
        return vault::errno_error(errno, "set the mode of", scratch.m_dir);
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
        result = make_error(
            Errc::io, "cannot list scratch directory " + m_dir.string() + ": " + error.message(),
            "remove it by hand: it may hold an ENTSSO backup file");
    }
    for (const fs::path& entry : entries) {
        if (Status wiped = wipe_and_remove_file(entry); !wiped && result)
            result = std::move(wiped);
    }
    if (::rmdir(m_dir.c_str()) != 0 && errno != ENOENT && result)
        result = vault::errno_error(errno, "remove", m_dir);
    if (result)
        m_dir.clear();
    return result;
}

Result<int> remove_abandoned_scratch_dirs(const fs::path& parent) {
    int removed = 0;
    std::error_code error;
    for (fs::directory_iterator it(parent, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        const pid_t pid = creator_pid(name);
        struct stat st;
        if (pid == 0 || ::lstat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
            st.st_uid != ::geteuid() || !process_is_dead(pid)) {
            continue;
        }
        std::vector<fs::path> files;
        std::error_code inner;
        for (fs::directory_iterator f(it->path(), inner), fend; !inner && f != fend;
             f.increment(inner))
            files.push_back(f->path());
        for (const fs::path& file : files)
            TRY(wipe_and_remove_file(file));
        if (::rmdir(it->path().c_str()) == 0)
            ++removed;
    }
    if (error && error != std::errc::no_such_file_or_directory) {
        return make_error(Errc::io,
                          "cannot list temp directory " + parent.string() + ": " + error.message());
    }
    return removed;
}

}  // namespace ssoescrow::backup
