// File I/O for the vault and for user-supplied secret files: durable atomic writes, exclusive
// creation of secret files, bounded reads, stale temp-file cleanup, private directories.
//
// Every function here uses POSIX system calls directly (no iostreams), never follows a symbolic
// link when creating or reading a file (O_NOFOLLOW), and returns errors as values whose message
// names the file and whose hint says what to do. errno is mapped as follows:
//
//   ENOSPC, EDQUOT  -> Errc::no_space         "no space left on device writing FILE"
//   EROFS           -> Errc::read_only        "vault is read-only: cannot write FILE"
//   EACCES, EPERM   -> Errc::io               "permission denied ...", hint: check owner/mode
//   ENOENT          -> Errc::not_found
//   EEXIST          -> Errc::already_exists
//   ELOOP           -> Errc::unsafe_permissions  (a symlink where a file was expected)
//   anything else   -> Errc::io               with strerror text
//
// Durable write (write_file_durably), in this exact order:
//
//   1. open  DIR/.tmp-<32 hex from the CSPRNG>  O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600
//   2. fchmod 0600 (the umask cannot widen or narrow it)             crash point
//   "after-temp-create"
//   3. write all bytes (short writes and EINTR are retried)          crash point "after-temp-write"
//   4. fchmod 0400 when FinalMode::read_only (before the file gets its final name)
//   5. fsync(file); a failure is fatal: the write is abandoned       crash point "after-fsync"
//   6. close (its error is checked too)
//   7. commit the name:
//        Overwrite::no  -> renameat2(temp, final, RENAME_NOREPLACE): fails with EEXIST if the
//                          final name exists, so a write-once object is never replaced;
//                                                                 crash point "after-rename"
//                          (filesystems without RENAME_NOREPLACE: link(temp, final), which also
//                          fails with EEXIST;                     crash point "after-link";
//                          then unlink(temp);                     crash point "after-temp-unlink")
//        Overwrite::yes -> rename(temp, final): atomic replacement; crash point "after-rename"
//   8. fsync(directory); a failure is fatal                          crash point "after-fsync-dir"
//   9. success is reported only now.
//
// On any failure before step 7 the temp file is unlinked and the final name is untouched. If the
// directory fsync (step 8) fails the new name may or may not survive a power loss, so the error is
// reported and the caller must treat the object as not written (a write-once object then simply
// gets written again under a new id; the half-committed one is an orphan for `vault check`).
//
// A crash (kill -9, power loss) at any point leaves either no file or the complete file under the
// final name, plus possibly a `.tmp-*` file. Readers MUST ignore names for which is_temp_name()
// is true; the next writer removes them with remove_stale_temp_files().
//
// Test builds (SSOESCROW_TEST_HOOKS) can inject errno values into these functions and stop the
// process at the named crash points: see vault/test_hooks.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::vault {

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
// group or others is refused with unsafe_permissions and the hint "chmod 600 FILE".
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
// bits, else unsafe_permissions with the hint "chmod 700 DIR". The parent is fsynced after mkdir.
[[nodiscard]] Status ensure_private_directory(const path& dir);

// Creates a temp file (is_temp_name) of `size` zero bytes in `dir`, fsyncs and removes it: proof
// that a commit there can succeed right now (not read-only, not full, fsync works). Errors as for
// write_file_durably, naming `dir`.
[[nodiscard]] Status probe_directory_writable(const path& dir, std::size_t size);

// fsync of a directory (after creating, renaming or unlinking entries in it).
[[nodiscard]] Status fsync_directory(const path& dir);

// unlink(file) then fsync of its directory. A missing file is Errc::not_found.
[[nodiscard]] Status remove_file_durably(const path& file);

// The Error for errno `err` while doing `action` ("writing", "opening", "fsync of", ...) on
// `file`, following the mapping at the top of this header. Exposed so the vault layer words its
// own system-call errors the same way.
Error errno_error(int err, std::string_view action, const path& file);

}  // namespace ssoescrow::vault
