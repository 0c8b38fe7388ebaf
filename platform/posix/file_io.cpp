#include "platform/file_io.hpp"
#include "platform/posix/input_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "crypto/random.hpp"
#include "platform/path_text.hpp"
#include "platform/system_error.hpp"
#include "platform/test_hooks.hpp"

namespace ssoescrow::platform {
namespace {

Error errno_error(int err, std::string_view action, const path& file);

// Owns a file descriptor; closes it (ignoring errors) unless close_checked() already did.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
    ~Fd() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    int get() const noexcept { return m_fd; }
    bool valid() const noexcept { return m_fd >= 0; }
    // close(2) with its result: on NFS and some other filesystems a write error surfaces here.
    int close_checked() noexcept {
        const int fd = m_fd;
        m_fd = -1;
        return ::close(fd) == 0 ? 0 : errno;
    }

  private:
    int m_fd = -1;
};

std::string describe(const path& file) {
    return file.empty() ? std::string(".") : path_to_utf8(file);
}

path directory_of(const path& file) {
    path dir = file.parent_path();
    return dir.empty() ? path(".") : dir;
}

// open(2) with the "open" fault hook. Returns the fd or -1 with errno set.
int open_hooked(const path& file, int flags, mode_t mode) {
    if (const int fault = test_hooks::injected_fault("open")) {
        errno = fault;
        return -1;
    }
    int fd;
    do {
        fd = ::open(file.c_str(), flags, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

Status write_all(int fd, ByteView data, const path& file) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n;
        if (const int fault = test_hooks::injected_fault("write")) {
            errno = fault;
            n = -1;
        } else {
            n = ::write(fd, data.data() + done, data.size() - done);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno_error(errno, "write", file);
        }
        if (n == 0)
            return errno_error(EIO, "write", file);
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Status fsync_fd(int fd, const path& file) {
    int err = test_hooks::injected_fault("fsync");
    if (err == 0 && ::fsync(fd) != 0)
        err = errno;
    if (err != 0) {
        Error error = errno_error(err, "fsync", file);
        error.hint =
            "the storage did not confirm that the data reached the disk, so nothing was "
            "committed; check the disk and the system log (dmesg), then run the command again";
        return error;
    }
    return {};
}

Result<Fd> open_directory(const path& dir) {
    const int fd = ::open(describe(dir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno_error(errno, "open directory", dir);
    return Fd(fd);
}

std::string new_temp_name() {
    return std::string(k_temp_prefix) + to_hex(crypto::random_bytes(16));
}

void unlink_quietly(const path& file) noexcept {
    ::unlink(file.c_str());
}

// Errors name `final_path` (what the user asked for); the temp file is an implementation detail
// that is removed on failure.
Status write_durably_to_temp(const path& temp, const path& final_path, ByteView data,
                             FinalMode mode) {
    Fd fd(open_hooked(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid())
        return errno_error(errno, "create a temp file for", final_path);
    // From here on the temp file exists and the caller unlinks it on failure.
    if (::fchmod(fd.get(), 0600) != 0)
        return errno_error(errno, "chmod the temp file for", final_path);
    test_hooks::crash_point("after-temp-create");
    TRY(write_all(fd.get(), data, final_path));
    test_hooks::crash_point("after-temp-write");
    if (mode == FinalMode::read_only && ::fchmod(fd.get(), 0400) != 0) {
        return errno_error(errno, "chmod the temp file for", final_path);
    }
    TRY(fsync_fd(fd.get(), final_path));
    test_hooks::crash_point("after-fsync");
    if (const int err = fd.close_checked())
        return errno_error(err, "close the temp file for", final_path);
    return {};
}

// Gives `temp` the name `final_path` without ever replacing an existing final name.
// Returns 0 or an errno; `temp_gone` tells whether the temp name no longer exists.
int commit_no_replace(const path& temp, const path& final_path, bool& temp_gone) {
    temp_gone = false;
    int err = test_hooks::injected_fault("rename-noreplace");
    if (err == 0) {
        err = test_hooks::injected_fault("rename");
        if (err != 0)
            return err;
        if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, final_path.c_str(), RENAME_NOREPLACE) ==
            0) {
            temp_gone = true;
            test_hooks::crash_point("after-rename");
            return 0;
        }
        err = errno;
    }
    // Kernels or filesystems without RENAME_NOREPLACE: link(2) also refuses an existing name.
    if (err != EINVAL && err != ENOSYS && err != EOPNOTSUPP)
        return err;
    if (const int fault = test_hooks::injected_fault("rename"))
        return fault;
    if (::link(temp.c_str(), final_path.c_str()) != 0)
        return errno;
    test_hooks::crash_point("after-link");
    // The data is in place under the final name; a leftover temp name is only cosmetic (it is
    // removed by the next writer), so an unlink failure is not an error of the write.
    temp_gone = ::unlink(temp.c_str()) == 0;
    test_hooks::crash_point("after-temp-unlink");
    return 0;
}

Status fsync_directory_hooked(const path& dir) {
    TRY_ASSIGN(Fd fd, open_directory(dir));
    int err = test_hooks::injected_fault("fsync-dir");
    if (err == 0 && ::fsync(fd.get()) != 0)
        err = errno;
    // Some filesystems (certain FUSE and network ones) cannot fsync a directory and say so with
    // EINVAL; there is nothing more that can be done there.
    if (err != 0 && err != EINVAL && err != ENOTSUP) {
        Error error = errno_error(err, "fsync directory", dir);
        error.hint =
            "the storage did not confirm that the directory entry reached the disk; check the "
            "disk and the system log (dmesg), then run the command again";
        return error;
    }
    return {};
}

Status check_regular(const struct stat& st, const path& file) {
    return posix::require_regular_file(st.st_mode, file);
}

Result<Fd> open_for_reading(const path& file, struct stat& st) {
    // O_NONBLOCK: opening a FIFO must not hang waiting for a writer; it is refused below.
    const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno_error(errno, "open", file);
    Fd owned(fd);
    if (::fstat(fd, &st) != 0)
        return errno_error(errno, "stat", file);
    TRY(check_regular(st, file));
    return owned;
}

Status check_size(const struct stat& st, std::size_t max_size, const path& file) {
    if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > max_size) {
        return make_error(Errc::limit_exceeded,
                          "cannot read " + describe(file) + ": it is " +
                              std::to_string(st.st_size) + " bytes, more than the limit of " +
                              std::to_string(max_size),
                          "check that this is the right file");
    }
    return {};
}

// Reads exactly `out.size()` bytes and then expects end of file.
Status read_exactly(int fd, std::span<std::uint8_t> out, const path& file) {
    std::size_t done = 0;
    for (;;) {
        std::uint8_t probe = 0;
        std::uint8_t* dest = done < out.size() ? out.data() + done : &probe;
        const std::size_t want = done < out.size() ? out.size() - done : 1;
        ssize_t n;
        if (const int fault = test_hooks::injected_fault("read")) {
            errno = fault;
            n = -1;
        } else {
            n = ::read(fd, dest, want);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno_error(errno, "read", file);
        }
        if (n == 0)
            break;
        if (done >= out.size()) {
            return make_error(Errc::io,
                              "cannot read " + describe(file) + ": it grew while being read",
                              "make sure no other program is writing it, then try again");
        }
        done += static_cast<std::size_t>(n);
    }
    if (done != out.size()) {
        return make_error(Errc::io,
                          "cannot read " + describe(file) + ": it shrank while being read",
                          "make sure no other program is writing it, then try again");
    }
    return {};
}

Error errno_error(int err, std::string_view action, const path& file) {
    const std::string what = "cannot " + std::string(action) + " " + describe(file);
    switch (err) {
        case ENOSPC:
        case EDQUOT:
            return make_error(Errc::no_space, what + ": no space left on device",
                              "free space on that filesystem (or raise the quota), then run the "
                              "command again");
        case EROFS:
            return make_error(Errc::read_only, what + ": read-only file system",
                              "write to a writable location; commands that only read (list, "
                              "check, status, restore) work on a read-only vault");
        case EACCES:
        case EPERM:
            return make_error(Errc::io, what + ": permission denied",
                              "check the owner and mode of the file and its directory (ls -ld), "
                              "or run as the account that owns them");
        case ENOENT:
            return make_error(Errc::not_found, what + ": no such file or directory",
                              "check the path");
        case EEXIST:
            return make_error(Errc::already_exists, what + ": it already exists",
                              "nothing was overwritten; choose another path or move the existing "
                              "file away first");
        case ELOOP:
            return make_error(Errc::unsafe_permissions, what + ": it is a symbolic link",
                              "ssoescrow never follows symbolic links here; use the real path");
        case ENOTDIR:
            return make_error(Errc::not_found,
                              what + ": a component of the path is not a directory",
                              "check the path");
        default:
            return make_error(Errc::io, what + ": " + std::strerror(err),
                              "check the disk and the system log (dmesg)");
    }
}

}  // namespace

namespace detail {

int native_error_for_fault(std::string_view name) noexcept {
    if (name == "enospc")
        return ENOSPC;
    if (name == "edquot")
        return EDQUOT;
    if (name == "eio")
        return EIO;
    if (name == "erofs")
        return EROFS;
    if (name == "eacces")
        return EACCES;
    if (name == "eperm")
        return EPERM;
    if (name == "eintr")
        return EINTR;
    if (name == "einval")
        return EINVAL;
    return 0;
}

}  // namespace detail

Error file_error(const std::error_code& error, std::string_view action, const path& file) {
    // std::filesystem reports errno values (system or generic category) on POSIX.
    return errno_error(error.value(), action, file);
}

Status probe_directory_writable(const path& dir, std::size_t size) {
    const path temp = dir / new_temp_name();
    Status result;
    {
        Fd fd(open_hooked(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd.valid())
            return errno_error(errno, "create a test file in", dir);
        const Bytes zeros(size, 0);
        result = write_all(fd.get(), zeros, temp);
        if (result)
            result = fsync_fd(fd.get(), temp);
        if (const int err = fd.close_checked(); result && err != 0)
            result = errno_error(err, "close", temp);
    }
    unlink_quietly(temp);
    return result;
}

Status write_file_durably(const path& final_path, ByteView data, Overwrite overwrite,
                          FinalMode mode) {
    const path dir = directory_of(final_path);
    const path temp = dir / new_temp_name();

    if (Status written = write_durably_to_temp(temp, final_path, data, mode); !written) {
        if (written.error().code != Errc::already_exists)
            unlink_quietly(temp);
        return std::move(written).error();
    }

    bool temp_gone = false;
    if (overwrite == Overwrite::no) {
        if (const int err = commit_no_replace(temp, final_path, temp_gone)) {
            unlink_quietly(temp);
            if (err == EEXIST) {
                return make_error(Errc::already_exists,
                                  "cannot create " + describe(final_path) + ": it already exists",
                                  "an object is never replaced; the existing file was left as it "
                                  "was");
            }
            return errno_error(err, "rename into place", final_path);
        }
    } else {
        int err = test_hooks::injected_fault("rename");
        if (err == 0 && ::rename(temp.c_str(), final_path.c_str()) != 0)
            err = errno;
        if (err != 0) {
            unlink_quietly(temp);
            return errno_error(err, "rename into place", final_path);
        }
        temp_gone = true;
        test_hooks::crash_point("after-rename");
    }

    if (Status synced = fsync_directory_hooked(dir); !synced) {
        // A write-once object we created may not survive a power loss: withdraw it so that the
        // failure is reported consistently ("not written"). A replaced record cannot be
        // un-replaced; the error tells the caller it may not be durable.
        if (overwrite == Overwrite::no)
            unlink_quietly(final_path);
        if (!temp_gone)
            unlink_quietly(temp);
        return std::move(synced).error();
    }
    test_hooks::crash_point("after-fsync-dir");
    return {};
}

Status replace_file_atomically(const path& final_path, ByteView data) {
    const path temp = directory_of(final_path) / new_temp_name();
    Status written;
    {
        Fd fd(open_hooked(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd.valid())
            return errno_error(errno, "create a temp file for", final_path);
        if (::fchmod(fd.get(), 0600) != 0)
            written = errno_error(errno, "chmod the temp file for", final_path);
        if (written)
            written = write_all(fd.get(), data, final_path);
        if (const int err = fd.close_checked(); written && err != 0)
            written = errno_error(err, "close the temp file for", final_path);
    }
    if (written && ::rename(temp.c_str(), final_path.c_str()) != 0)
        written = errno_error(errno, "rename into place", final_path);
    if (!written)
        unlink_quietly(temp);
    return written;
}

Status write_secret_file_exclusive(const path& file, ByteView data) {
    Fd fd(open_hooked(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        const int err = errno;
        if (err == EEXIST) {
            return make_error(Errc::already_exists,
                              "cannot create " + describe(file) + ": it already exists",
                              "secret files are never overwritten (nor followed if they are "
                              "symbolic links); choose another path or move the old file away");
        }
        return errno_error(err, "create", file);
    }
    auto fail = [&](Error error) -> Status {
        unlink_quietly(file);
        return error;
    };
    if (::fchmod(fd.get(), 0600) != 0)
        return fail(errno_error(errno, "chmod", file));
    test_hooks::crash_point("secret-after-create");
    if (Status s = write_all(fd.get(), data, file); !s)
        return fail(std::move(s).error());
    if (Status s = fsync_fd(fd.get(), file); !s)
        return fail(std::move(s).error());
    if (const int err = fd.close_checked())
        return fail(errno_error(err, "close", file));
    test_hooks::crash_point("secret-after-write");
    if (Status s = fsync_directory_hooked(directory_of(file)); !s) {
        return fail(std::move(s).error());
    }
    return {};
}

Status write_secret_file_exclusive(const path& file, const crypto::SecretBytes& data) {
    return write_secret_file_exclusive(file, data.view());
}

Status append_file_durably(const path& file, ByteView data, CreateIfMissing create) {
    bool created = false;
    bool tried_create = false;
    int fd_raw = open_hooked(file, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd_raw < 0 && errno == ENOENT && create == CreateIfMissing::yes) {
        fd_raw = open_hooked(file, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                             0600);
        created = fd_raw >= 0;
        tried_create = true;
    }
    if (fd_raw < 0)
        return errno_error(errno, tried_create ? "create" : "open for appending", file);
    Fd fd(fd_raw);
    auto fail = [&](Error error) -> Status {
        if (created)
            unlink_quietly(file);
        return error;
    };
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return fail(errno_error(errno, "stat", file));
    if (Status regular = check_regular(st, file); !regular)
        return fail(std::move(regular).error());
    if (created && ::fchmod(fd.get(), 0600) != 0)
        return fail(errno_error(errno, "chmod", file));
    const off_t old_size = st.st_size;
    auto roll_back = [&](Error error) -> Status {
        // Cut off whatever part of the record reached the file, so no torn record remains.
        if (::ftruncate(fd.get(), old_size) == 0)
            (void)::fsync(fd.get());
        return fail(std::move(error));
    };
    if (Status s = write_all(fd.get(), data, file); !s)
        return roll_back(std::move(s).error());
    if (Status s = fsync_fd(fd.get(), file); !s)
        return roll_back(std::move(s).error());
    if (const int err = fd.close_checked())
        return fail(errno_error(err, "close", file));
    if (created) {
        if (Status s = fsync_directory_hooked(directory_of(file)); !s) {
            return fail(std::move(s).error());
        }
    }
    return {};
}

Result<Bytes> read_file(const path& file, std::size_t max_size) {
    struct stat st {};
    TRY_ASSIGN(Fd fd, open_for_reading(file, st));
    TRY(check_size(st, max_size, file));
    Bytes out(static_cast<std::size_t>(st.st_size));
    TRY(read_exactly(fd.get(), out, file));
    return out;
}

Result<crypto::SecretBytes> read_secret_file(const path& file, std::size_t max_size,
                                             RequireOwnerOnly require) {
    struct stat st {};
    TRY_ASSIGN(Fd fd, open_for_reading(file, st));
    if (require == RequireOwnerOnly::yes && (st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return make_error(Errc::unsafe_permissions,
                          "refusing to read " + describe(file) + ": its mode " + mode +
                              " lets other users read or change it",
                          "chmod 600 " + describe(file));
    }
    TRY(check_size(st, max_size, file));
    crypto::SecretBytes out(static_cast<std::size_t>(st.st_size));
    TRY(read_exactly(fd.get(), out.span(), file));
    return out;
}

Status remove_stale_temp_files(const path& dir) {
    return remove_stale_temp_files(dir, std::chrono::seconds(-1));
}

Status remove_stale_temp_files(const path& dir, std::chrono::seconds older_than) {
    const std::int64_t cutoff = static_cast<std::int64_t>(::time(nullptr)) - older_than.count();
    const int dir_fd =
        ::open(describe(dir).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0) {
        if (errno == ENOENT)
            return {};
        return errno_error(errno, "open directory", dir);
    }
    DIR* listing = ::fdopendir(dir_fd);
    if (listing == nullptr) {
        const int err = errno;
        ::close(dir_fd);
        return errno_error(err, "list", dir);
    }
    bool removed = false;
    Status result;
    for (;;) {
        // readdir reports errors only through errno, so it is cleared right before each call.
        errno = 0;
        const struct dirent* entry = ::readdir(listing);
        if (entry == nullptr) {
            if (errno != 0 && result.ok())
                result = errno_error(errno, "list", dir);
            break;
        }
        const std::string_view name(entry->d_name);
        if (!is_temp_name(name))
            continue;
        struct stat st {};
        // A temp file that vanished meanwhile (its writer committed or gave up) is skipped.
        if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
            continue;
        if (older_than.count() >= 0 && static_cast<std::int64_t>(st.st_mtime) > cutoff)
            continue;
        if (::unlinkat(dir_fd, entry->d_name, 0) == 0) {
            removed = true;
        } else if (errno != ENOENT && result.ok()) {
            result = errno_error(errno, "remove stale temp file", dir / std::string(name));
        }
    }
    ::closedir(listing);
    if (removed)
        TRY(fsync_directory_hooked(dir));
    return result;
}

Status for_each_directory_name(const path& dir,
                               const std::function<Status(std::string_view)>& visit) {
    const int dir_fd =
        ::open(describe(dir).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0)
        return errno_error(errno, "list", dir);
    DIR* listing = ::fdopendir(dir_fd);
    if (listing == nullptr) {
        const int err = errno;
        ::close(dir_fd);
        return errno_error(err, "list", dir);
    }
    Status result;
    for (;;) {
        // readdir reports errors only through errno, so it is cleared right before each call.
        errno = 0;
        const struct dirent* entry = ::readdir(listing);
        if (entry == nullptr) {
            if (errno != 0)
                result = errno_error(errno, "list", dir);
            break;
        }
        const std::string_view name(entry->d_name);
        if (name == "." || name == "..")
            continue;
        result = visit(name);
        if (!result)
            break;
    }
    ::closedir(listing);
    return result;
}

Status ensure_private_directory(const path& dir) {
    int err = test_hooks::injected_fault("open");
    if (err == 0 && ::mkdir(dir.c_str(), 0700) != 0)
        err = errno;
    if (err == 0) {
        // mkdir's mode is reduced by the umask; set 0700 exactly.
        const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return errno_error(errno, "open directory", dir);
        Fd owned(fd);
        if (::fchmod(fd, 0700) != 0)
            return errno_error(errno, "chmod", dir);
        return fsync_directory_hooked(directory_of(dir));
    }
    if (err != EEXIST)
        return errno_error(err, "create directory", dir);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0)
        return errno_error(errno, "stat", dir);
    if (S_ISLNK(st.st_mode)) {
        return make_error(Errc::unsafe_permissions,
                          "refusing to use " + describe(dir) + ": it is a symbolic link",
                          "use the real path of the directory");
    }
    if (!S_ISDIR(st.st_mode)) {
        return make_error(
            Errc::already_exists,
            "cannot create directory " + describe(dir) + ": a file of that name exists",
            "move the file away or choose another path");
    }
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return make_error(
            Errc::unsafe_permissions,
            "refusing to use " + describe(dir) + ": its mode " + mode + " gives other users access",
            "chmod 700 " + describe(dir));
    }
    return {};
}

Status fsync_directory(const path& dir) {
    return fsync_directory_hooked(dir);
}

Status remove_file_durably(const path& file) {
    if (::unlink(file.c_str()) != 0)
        return errno_error(errno, "remove", file);
    return fsync_directory_hooked(directory_of(file));
}

Result<FileStatus> file_status(const path& file) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return FileStatus{};
        return errno_error(errno, "stat", file);
    }
    FileStatus status;
    if (S_ISREG(st.st_mode))
        status.kind = FileKind::regular;
    else if (S_ISDIR(st.st_mode))
        status.kind = FileKind::directory;
    else if (S_ISLNK(st.st_mode))
        status.kind = FileKind::symlink;
    else
        status.kind = FileKind::other;
    status.size = st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    status.last_write = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) +
            std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    status.owned_by_current_user = st.st_uid == ::geteuid();
    status.others_may_replace_entries =
        S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0;
    return status;
}

Result<std::string> read_regular_file_bounded(const path& file, std::size_t max_size,
                                              std::uint64_t* size_at_open) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
    const int raw = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (raw < 0)
        return errno_error(errno, "open", file);
    Fd fd(raw);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return errno_error(errno, "stat", file);
    TRY(check_regular(st, file));
    if (size_at_open != nullptr)
        *size_at_open = static_cast<std::uint64_t>(st.st_size);
    if (static_cast<std::uint64_t>(st.st_size) > max_size) {
        return make_error(Errc::limit_exceeded,
                          describe(file) + " is " + std::to_string(st.st_size) +
                              " bytes, above the " + std::to_string(max_size) + "-byte limit");
    }
    // Read at most one byte past the limit, so a file that grows meanwhile is still refused.
    std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
    std::size_t filled = 0;
    for (;;) {
        if (filled == text.size()) {
            if (text.size() > max_size)
                break;
            text.resize(std::min(text.size() * 2, max_size + 1));
        }
        const ssize_t got = ::read(fd.get(), text.data() + filled, text.size() - filled);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return errno_error(errno, "read", file);
        }
        if (got == 0)
            break;
        filled += static_cast<std::size_t>(got);
    }
    if (filled > max_size) {
        return make_error(Errc::limit_exceeded, describe(file) + " grew above the " +
                                                    std::to_string(max_size) +
                                                    "-byte limit while being read");
    }
    text.resize(filled);
    return text;
}

Result<AppendOnlyFile> AppendOnlyFile::open(const path& file, std::string_view action) {
    // O_NONBLOCK: a FIFO given by mistake must be refused, not block waiting for a reader (it
    // has no effect on the regular file we accept).
    const int fd = ::open(
        file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    if (fd < 0)
        return errno_error(errno, action, file);
    AppendOnlyFile log(fd, file);
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return errno_error(errno, "stat", file);
    TRY(check_regular(st, file));
    return log;
}

AppendOnlyFile::AppendOnlyFile(AppendOnlyFile&& other) noexcept
    : m_handle(std::exchange(other.m_handle, -1)), m_file(std::move(other.m_file)) {}

AppendOnlyFile& AppendOnlyFile::operator=(AppendOnlyFile&& other) noexcept {
    if (this != &other) {
        if (m_handle >= 0)
            ::close(static_cast<int>(m_handle));
        m_handle = std::exchange(other.m_handle, -1);
        m_file = std::move(other.m_file);
    }
    return *this;
}

AppendOnlyFile::~AppendOnlyFile() {
    if (m_handle >= 0)
        ::close(static_cast<int>(m_handle));
}

Status AppendOnlyFile::append(std::string_view text) {
    const int fd = static_cast<int>(m_handle);
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0)
        return errno_error(errno, "write", m_file);
    if (static_cast<std::size_t>(written) != text.size())
        return errno_error(EIO, "write", m_file);
    if (::fsync(fd) != 0)
        return errno_error(errno, "fsync", m_file);
    return {};
}

Result<path> create_private_temp_directory(const path& parent, std::string_view prefix) {
    const std::string pattern = path_to_utf8(parent / (std::string(prefix) + "XXXXXX"));
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr)
        return errno_error(errno, "create a scratch directory in", parent);
    const path dir = path_from_utf8(buffer.data());
    // mkdtemp already uses 0700; set it exactly, whatever the umask.
    if (::chmod(dir.c_str(), 0700) != 0)
        return errno_error(errno, "set the mode of", dir);
    return dir;
}

Status overwrite_and_remove_file(const path& file) {
    const int raw = ::open(file.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (raw < 0 && errno == ENOENT)
        return {};
    Status result;
    if (raw >= 0) {
        Fd fd(raw);
        struct stat st {};
        if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
            static const std::array<char, 4096> zeros{};
            off_t left = st.st_size;
            while (left > 0 && result) {
                const auto chunk =
                    static_cast<size_t>(std::min<off_t>(left, static_cast<off_t>(zeros.size())));
                const ssize_t n = ::write(fd.get(), zeros.data(), chunk);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    result = errno_error(n < 0 ? errno : EIO, "overwrite", file);
                else
                    left -= n;
            }
            if (result && ::fsync(fd.get()) != 0)
                result = errno_error(errno, "fsync of", file);
        }
    }
    // ELOOP (a symlink) or another open failure: still remove the name, never follow it.
    if (::unlink(file.c_str()) != 0 && errno != ENOENT && result)
        result = errno_error(errno, "remove", file);
    return result;
}

Status remove_empty_directory(const path& dir) {
    if (::rmdir(dir.c_str()) != 0)
        return errno_error(errno, "remove", dir);
    return {};
}

}  // namespace ssoescrow::platform
