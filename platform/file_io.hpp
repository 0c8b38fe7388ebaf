// File I/O for the vault and for user-supplied secret files: durable atomic writes, exclusive
// creation of secret files, bounded reads, stale temp-file cleanup, private directories.
//
// The POSIX implementation (platform/posix/file_io.cpp) uses system calls directly (no
// iostreams); the Windows one (platform/windows/file_io.cpp) uses the wide CreateFileW family.
// Neither ever follows a symbolic link (or other reparse point) when creating or reading a file,
// and both return errors as values whose message names the file and whose hint says what to do.
// System errors are mapped as follows (POSIX errno / Win32 error):
//
//   ENOSPC, EDQUOT / ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL, ERROR_DISK_QUOTA_EXCEEDED
//                                  -> Errc::no_space         "no space left on device writing FILE"
//   EROFS / ERROR_WRITE_PROTECT    -> Errc::read_only        "vault is read-only: cannot write
//   FILE" EACCES, EPERM / ERROR_ACCESS_DENIED
//                                  -> Errc::io               "permission denied ...", hint: check
//                                                            owner and mode (ls -ld / icacls)
//   ENOENT / ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND -> Errc::not_found
//   EEXIST / ERROR_FILE_EXISTS, ERROR_ALREADY_EXISTS    -> Errc::already_exists
//   ELOOP / a reparse point        -> Errc::unsafe_permissions  (a link where a file was expected)
//   ERROR_SHARING_VIOLATION        -> Errc::io               naming the other program's lock
//   anything else                  -> Errc::io               with the system's error text
//
// Durable write (write_file_durably), in this exact order (POSIX; Windows in brackets):
//
//   1. open  DIR/.tmp-<32 hex from the CSPRNG>  O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600
//      [CreateFileW CREATE_NEW, FILE_FLAG_WRITE_THROUGH, owner-only protected DACL]
//   2. fchmod 0600 (the umask cannot widen or narrow it)             crash point
//   "after-temp-create"
//   3. write all bytes (short writes and EINTR are retried)          crash point "after-temp-write"
//   4. fchmod 0400 when FinalMode::read_only (before the file gets its final name)
//      [FILE_ATTRIBUTE_READONLY]
//   5. fsync(file); a failure is fatal: the write is abandoned       crash point "after-fsync"
//      [FlushFileBuffers]
//   6. close (its error is checked too)
//   7. commit the name:
//        Overwrite::no  -> renameat2(temp, final, RENAME_NOREPLACE): fails with EEXIST if the
//                          final name exists, so a write-once object is never replaced;
//                                                                 crash point "after-rename"
//                          (filesystems without RENAME_NOREPLACE: link(temp, final), which also
//                          fails with EEXIST;                     crash point "after-link";
//                          then unlink(temp);                     crash point "after-temp-unlink")
//                          [MoveFileExW(MOVEFILE_WRITE_THROUGH), no MOVEFILE_REPLACE_EXISTING]
//        Overwrite::yes -> rename(temp, final): atomic replacement; crash point "after-rename"
//                          [MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)]
//   8. fsync(directory); a failure is fatal                          crash point "after-fsync-dir"
//      [nothing to do: NTFS and ReFS journal the rename, and MoveFileExW with
//      MOVEFILE_WRITE_THROUGH returns only once the rename reached the disk]
//   9. success is reported only now.
//
// On any failure before step 7 the temp file is removed and the final name is untouched. If the
// directory fsync (step 8) fails the new name may or may not survive a power loss, so the error is
// reported and the caller must treat the object as not written (a write-once object then simply
// gets written again under a new id; the half-committed one is an orphan for `vault check`).
//
// A crash (kill -9, power loss) at any point leaves either no file or the complete file under the
// final name, plus possibly a `.tmp-*` file. Readers MUST ignore names for which is_temp_name()
// is true; the next writer removes them with remove_stale_temp_files().
//
// Test builds (SSOESCROW_TEST_HOOKS) can inject system errors into these functions and stop the
// process at the named crash points: see platform/test_hooks.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::platform {

using std::filesystem::path;

// --- Interface ---

// Prefix of every temp file created by write_file_durably. The rest of the name is 32 lower-case
// hex digits from the CSPRNG, so names are unpredictable and never collide with a final name.
inline constexpr std::string_view k_temp_prefix = ".tmp-";

// True for names written by a durable write in progress (or by a writer that crashed). Readers
// MUST skip these; `vault check` reports them as leftovers. `name` is a file name, not a path.
bool is_temp_name(std::string_view name) noexcept;

// Whether the commit may replace an existing final name.
enum class Overwrite {
    no,   // write-once objects (envelopes, audit records): an existing name is an error
    yes,  // replaced records (config, catalog, lock refresh): atomic rename over the old file
};

// Permissions of the committed file (set on the temp file before it gets its final name).
enum class FinalMode {
    read_write,  // 0600
    read_only,   // 0400: write-once objects after commit
};

// Whether read_secret_file insists that group and others have no access at all.
enum class RequireOwnerOnly {
    no,
    yes,
};

// Whether append_file_durably may create the file.
enum class CreateIfMissing {
    no,
    yes,
};

// Writes `data` to `final_path` durably and atomically (see the order above). The directory of
// `final_path` must exist. Errors: already_exists (Overwrite::no and the name exists), no_space,
// read_only, io (fsync/EIO, permission), unsafe_permissions (a symlink at the final name with
// Overwrite::yes is replaced by rename, never followed; a symlink in place of the temp file is
// refused by O_EXCL|O_NOFOLLOW).
[[nodiscard]] Status write_file_durably(const path& final_path, ByteView data, Overwrite overwrite,
                                        FinalMode mode);

// Replaces `final_path` atomically (a temp file in its directory, 0600, then rename) but without
// any fsync: for caches, whose loss or an empty file after a power failure only costs time (the
// reader then does the full work). Readers see the old or the new content, never a mix.
[[nodiscard]] Status replace_file_atomically(const path& final_path, ByteView data);

// Creates a file for a user-supplied secret (identity, key, password file): O_CREAT|O_EXCL|
// O_NOFOLLOW, mode 0600 regardless of the umask, write all, fsync(file), fsync(directory). An
// existing file or symlink at `file` is refused with Errc::already_exists (never followed, never
// truncated). On any failure the file this call created is unlinked.
[[nodiscard]] Status write_secret_file_exclusive(const path& file, ByteView data);
[[nodiscard]] Status write_secret_file_exclusive(const path& file, const crypto::SecretBytes& data);

// Appends `data` to `file` (O_APPEND|O_NOFOLLOW, created 0600 when allowed) and fsyncs it; when
// the file was created, the directory is fsynced too. If the write or fsync fails, the file is
// truncated back to its previous size (best effort) so no torn record stays behind, and the error
// is returned. For append-only logs whose records carry their own framing/checksum.
[[nodiscard]] Status append_file_durably(const path& file, ByteView data, CreateIfMissing create);

// Reads a whole regular file. O_NOFOLLOW (a symlink is refused with unsafe_permissions); the size
// from fstat is checked against `max_size` BEFORE anything is allocated (limit_exceeded); a FIFO,
// device or directory is refused (io) without blocking; a file that changes size while being read
// is an io error.
[[nodiscard]] Result<Bytes> read_file(const path& file, std::size_t max_size);

// Like read_file, into a SecretBytes. With RequireOwnerOnly::yes a file readable or writable by
// group or others is refused with unsafe_permissions and the hint "chmod 600 FILE". On Windows
// "owner-only" means a DACL that lets nobody but the owner, this account, SYSTEM and the
// Administrators read or change the file (platform/windows/acl_check.hpp); the message names the
// other account and the hint is the icacls command that fixes it.
[[nodiscard]] Result<crypto::SecretBytes> read_secret_file(const path& file, std::size_t max_size,
                                                           RequireOwnerOnly require);

// Removes the temp files (is_temp_name) of an earlier writer that crashed, directly inside `dir`
// (not recursive). Only regular files and symlinks with the temp prefix are unlinked (a symlink is
// removed, never followed); anything else with the prefix is left alone. The directory is fsynced
// when something was removed. Missing `dir` is not an error. Call it only while holding the
// vault's writer lock: a temp file of a write in progress would be removed too (that write would
// then fail cleanly, but fail). The second form only removes temp files last modified more than
// `older_than` ago, for directories where non-holders write (locks/).
[[nodiscard]] Status remove_stale_temp_files(const path& dir);
[[nodiscard]] Status remove_stale_temp_files(const path& dir, std::chrono::seconds older_than);

// Creates `dir` with mode 0700 (regardless of the umask) if it does not exist; the parent must
// exist. An existing `dir` must be a real directory (not a symlink) with no group/other access
// bits, else unsafe_permissions with the hint "chmod 700 DIR" (Windows: a protected owner-only
// DACL is created, and an existing DACL is judged as for read_secret_file). The parent is fsynced
// after mkdir.
[[nodiscard]] Status ensure_private_directory(const path& dir);

// Calls `visit` with the name (UTF-8) of every entry of `dir` but "." and "..", in the order the
// system lists them, without building a path per entry: a vault's audit/ holds one file per
// record, and a writer lists it on every run. Never follows `dir` if it is a symbolic link.
// Errors: not_found, io naming `dir`; an error `visit` returns stops the listing and is returned.
[[nodiscard]] Status for_each_directory_name(const path& dir,
                                             const std::function<Status(std::string_view)>& visit);

// Creates a temp file (is_temp_name) of `size` zero bytes in `dir`, fsyncs and removes it: proof
// that a commit there can succeed right now (not read-only, not full, fsync works). Errors as for
// write_file_durably, naming `dir`.
[[nodiscard]] Status probe_directory_writable(const path& dir, std::size_t size);

// fsync of a directory (after creating, renaming or unlinking entries in it).
[[nodiscard]] Status fsync_directory(const path& dir);

// unlink(file) then fsync of its directory. A missing file is Errc::not_found.
[[nodiscard]] Status remove_file_durably(const path& file);

// --- What the layers above need besides whole-file reads and writes ---

// What a name refers to, never following a symbolic link (or other reparse point).
enum class FileKind {
    missing,
    regular,
    directory,
    symlink,  // a symbolic link, junction or other reparse point, reported as itself
    other,    // FIFO, socket, device
};

struct FileStatus {
    FileKind kind = FileKind::missing;
    std::uint64_t size = 0;  // bytes, for a regular file
    std::chrono::system_clock::time_point last_write{};
    // The object's owner is the account this process runs as (st_uid == geteuid(); the owner
    // SID is the token's user on Windows).
    bool owned_by_current_user = false;
    // Other users may create, remove or rename entries in this directory although they do not
    // own them: world-writable without the sticky bit on POSIX. Always false on Windows, where
    // temp directories are per-user and every file is created owner-only.
    bool others_may_replace_entries = false;
};

// lstat(2) / GetFileAttributesExW + the owner SID. A missing name (or a missing directory on the
// way) is FileKind::missing, not an error; other failures are errors naming `file`.
[[nodiscard]] Result<FileStatus> file_status(const path& file);

// Whether `file` names anything at all (a dangling symbolic link too), without following it.
// False when it cannot be told (no permission to look): callers use it to refuse early, and the
// exclusive creation that follows refuses an existing name anyway.
bool exists_no_follow(const path& file);

// Reads a whole file (following links: for user-supplied inputs, not secrets) of at most
// `max_size` bytes. The open never blocks (a FIFO is refused, not waited on); a file that grows
// past the limit while being read is still refused. Errors: not_found; invalid_argument when it
// is not a regular file; limit_exceeded (its size at open goes to *size_at_open when given); io.
[[nodiscard]] Result<std::string> read_regular_file_bounded(const path& file, std::size_t max_size,
                                                            std::uint64_t* size_at_open = nullptr);

// An append-only log (--log-json): created owner-only when missing, a symbolic link refused,
// anything but a regular file refused without blocking (a FIFO given by mistake), each line
// written with one write call and flushed to the disk.
class AppendOnlyFile {
  public:
    // Errors: invalid_argument when `file` is not a regular file; otherwise as for
    // append_file_durably, worded "cannot ACTION FILE: ...".
    [[nodiscard]] static Result<AppendOnlyFile> open(const path& file,
                                                     std::string_view action = "open");

    AppendOnlyFile(AppendOnlyFile&& other) noexcept;
    AppendOnlyFile& operator=(AppendOnlyFile&& other) noexcept;
    AppendOnlyFile(const AppendOnlyFile&) = delete;
    AppendOnlyFile& operator=(const AppendOnlyFile&) = delete;
    ~AppendOnlyFile();

    // Appends `text` in one write and flushes it (fsync / FlushFileBuffers).
    [[nodiscard]] Status append(std::string_view text);

    // The descriptor (POSIX) or HANDLE (Windows), for the interrupt handler's last line
    // (platform/interrupt.hpp); -1 after a move.
    std::intptr_t native_handle() const noexcept { return m_handle; }

  private:
    explicit AppendOnlyFile(std::intptr_t handle, path file) noexcept
        : m_handle(handle), m_file(std::move(file)) {}
    std::intptr_t m_handle = -1;  // a descriptor on POSIX, a HANDLE on Windows; -1: none
    path m_file;
};

// Creates a new directory `parent`/`prefix`<random suffix> that only this account can use
// (mkdtemp(3) then mode 0700; a protected owner-only DACL on Windows) and returns its path.
[[nodiscard]] Result<path> create_private_temp_directory(const path& parent,
                                                         std::string_view prefix);

// Overwrites a regular `file` with zeros, flushes it to the disk and removes it; a symbolic link
// or anything else is only removed, never followed or opened blocking. A missing file is not an
// error.
[[nodiscard]] Status overwrite_and_remove_file(const path& file);

// Removes the empty directory `dir` (rmdir / RemoveDirectoryW). Errors name it; a missing one is
// Errc::not_found.
[[nodiscard]] Status remove_empty_directory(const path& dir);

// --- Input files: only regular files, checked without blocking ---

// What an input file is when it is not a regular file.
enum class NotRegularFile {
    directory,
    fifo,  // a FIFO (named pipe): opening it for reading would wait for a writer
    socket,
    device,  // a character or block device (a console, /dev/stdin's terminal, ...)
    other,
};

// The one refusal of every file the program reads or appends to that is not a regular file
// (passphrase, password, identity, recipient and signer lines, request, approval, receipt, key,
// inventory, config, vault records, job log). Every reader opens the file without blocking
// (O_NONBLOCK on POSIX; on Windows CreateFileW never waits and only a FILE_TYPE_DISK handle is
// read) and checks it with fstat / GetFileInformationByHandle + GetFileType before reading a
// byte, so a FIFO given by mistake is refused at once instead of hanging. Errc::io (exit 5):
// "FILE is a FIFO (named pipe), not a regular file", hint "give the path of a regular file".
Error not_a_regular_file(const path& file, NotRegularFile what);

// The Error for system error `error` (from std::filesystem or the platform layer) while doing
// `action` ("writing", "opening", "list", ...) on `file`, following the mapping at the top of
// this header. Exposed so the vault layer words its own file-system errors the same way.
Error file_error(const std::error_code& error, std::string_view action, const path& file);

}  // namespace ssoescrow::platform
