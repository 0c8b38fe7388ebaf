// Windows implementation of platform/file_io.hpp: wide-character APIs, long and UNC paths,
// owner-only protected DACLs in place of modes 0600/0700, write-through handles and
// MoveFileExW(MOVEFILE_WRITE_THROUGH) in place of fsync and rename(2).
#include "platform/file_io.hpp"

#include <windows.h>

#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "crypto/random.hpp"
#include "platform/path_text.hpp"
#include "platform/system_error.hpp"
#include "platform/test_hooks.hpp"
#include "platform/windows/acl_check.hpp"
#include "platform/windows/input_file.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/unique_handle.hpp"
#include "platform/windows/wide_path.hpp"
#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {
namespace {

using windows::wide_path;

// ERROR_DISK_QUOTA_EXCEEDED, which not every SDK's winerror.h defines.
constexpr DWORD k_error_disk_quota_exceeded = 1295;

using Handle = windows::UniqueHandle;

std::string describe(const path& file) {
    return file.empty() ? std::string(".") : path_to_utf8(file);
}

path directory_of(const path& file) {
    path dir = file.parent_path();
    return dir.empty() ? path(".") : dir;
}

std::string icacls_hint(const path& file) {
    return "icacls \"" + describe(file) + "\" /inheritance:r /grant:r \"%USERNAME%:F\"";
}

Error win_error(DWORD err, std::string_view action, const path& file) {
    const std::string what = "cannot " + std::string(action) + " " + describe(file);
    switch (err) {
        case ERROR_DISK_FULL:
        case ERROR_HANDLE_DISK_FULL:
        case k_error_disk_quota_exceeded:
            return make_error(Errc::no_space, what + ": no space left on device",
                              "free space on that volume (or raise the quota), then run the "
                              "command again");
        case ERROR_WRITE_PROTECT:
            return make_error(Errc::read_only, what + ": read-only file system",
                              "write to a writable location; commands that only read (list, "
                              "check, status, restore) work on a read-only vault");
        case ERROR_ACCESS_DENIED:
        case ERROR_PRIVILEGE_NOT_HELD:
            return make_error(Errc::io, what + ": permission denied",
                              "check the owner and access list of the file and its directory "
                              "(icacls \"" +
                                  describe(file) + "\"), or run as the account that owns them");
        case ERROR_FILE_NOT_FOUND:
        case ERROR_PATH_NOT_FOUND:
        case ERROR_INVALID_NAME:
        case ERROR_BAD_NETPATH:
        case ERROR_BAD_NET_NAME:
            return make_error(Errc::not_found, what + ": no such file or directory",
                              "check the path");
        case ERROR_FILE_EXISTS:
        case ERROR_ALREADY_EXISTS:
            return make_error(Errc::already_exists, what + ": it already exists",
                              "nothing was overwritten; choose another path or move the existing "
                              "file away first");
        case ERROR_CANT_ACCESS_FILE:
        case ERROR_CANT_RESOLVE_FILENAME:
            return make_error(Errc::unsafe_permissions, what + ": it is a symbolic link",
                              "ssoescrow never follows symbolic links here; use the real path");
        case ERROR_SHARING_VIOLATION:
        case ERROR_LOCK_VIOLATION:
            return make_error(Errc::io, what + ": another program has it open (sharing violation)",
                              "close the program that uses the file (an editor, a backup or "
                              "antivirus scanner), then run the command again");
        default:
            return make_error(Errc::io, what + ": " + windows::error_text(err),
                              "check the disk and the System event log (Event Viewer)");
    }
}

Error symlink_error(std::string_view action, const path& file) {
    return make_error(
        Errc::unsafe_permissions,
        "cannot " + std::string(action) + " " + describe(file) + ": it is a symbolic link",
        "ssoescrow never follows symbolic links here; use the real path");
}

// CreateFileW with the "open" fault hook. Every open names the object itself, never the target
// of a reparse point (FILE_FLAG_OPEN_REPARSE_POINT); callers refuse reparse points they meet.
HANDLE create_file_hooked(const path& file, DWORD access, DWORD share, SECURITY_ATTRIBUTES* sa,
                          DWORD disposition, DWORD flags) {
    if (const int fault = test_hooks::injected_fault("open")) {
        ::SetLastError(static_cast<DWORD>(fault));
        return INVALID_HANDLE_VALUE;
    }
    return ::CreateFileW(wide_path(file).c_str(), access, share, sa, disposition,
                         flags | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
}

// A new file, owner-only, written through to the disk.
HANDLE create_new_private_file(const path& file) {
    windows::OwnerOnlySecurity security(false);
    return create_file_hooked(file, GENERIC_WRITE | READ_CONTROL | FILE_READ_ATTRIBUTES, 0,
                              security.attributes(), CREATE_NEW,
                              FILE_ATTRIBUTE_NORMAL | FILE_FLAG_WRITE_THROUGH);
}

Status write_all(HANDLE handle, ByteView data, const path& file, OVERLAPPED* at_end = nullptr) {
    std::size_t done = 0;
    while (done < data.size()) {
        const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(data.size() - done, 1u << 30));
        DWORD written = 0;
        DWORD err = static_cast<DWORD>(test_hooks::injected_fault("write"));
        if (err == 0 && !::WriteFile(handle, data.data() + done, chunk, &written, at_end))
            err = ::GetLastError();
        if (err == ERROR_OPERATION_ABORTED && written == 0)
            continue;  // the injected "eintr": retried like EINTR on POSIX
        if (err != 0)
            return win_error(err, "write", file);
        if (written == 0)
            return win_error(ERROR_WRITE_FAULT, "write", file);
        done += written;
    }
    return {};
}

Status flush_handle(HANDLE handle, const path& file) {
    DWORD err = static_cast<DWORD>(test_hooks::injected_fault("fsync"));
    if (err == 0 && !::FlushFileBuffers(handle))
        err = ::GetLastError();
    if (err != 0) {
        Error error = win_error(err, "fsync", file);
        error.hint =
            "the storage did not confirm that the data reached the disk, so nothing was "
            "committed; check the disk and the System event log, then run the command again";
        return error;
    }
    return {};
}

// NTFS and ReFS journal directory metadata (the new name of a rename or a created file), and
// MoveFileExW with MOVEFILE_WRITE_THROUGH returns only after the rename reached the disk, so there
// is no directory handle to flush; Windows offers no equivalent of fsync on a directory. Only the
// test hook's fault is honoured, so the error path stays the same on both systems.
Status fsync_directory_hooked(const path& dir) {
    if (const int fault = test_hooks::injected_fault("fsync-dir")) {
        Error error = win_error(static_cast<DWORD>(fault), "fsync directory", dir);
        error.hint =
            "the storage did not confirm that the directory entry reached the disk; check the "
            "disk and the System event log, then run the command again";
        return error;
    }
    return {};
}

std::string new_temp_name() {
    return std::string(k_temp_prefix) + to_hex(crypto::random_bytes(16));
}

// DeleteFileW refuses a read-only file; clear the attribute and try again.
DWORD delete_file(const path& file) noexcept {
    const std::wstring name = wide_path(file);
    if (::DeleteFileW(name.c_str()))
        return 0;
    DWORD err = ::GetLastError();
    if (err == ERROR_ACCESS_DENIED) {
        const DWORD attributes = ::GetFileAttributesW(name.c_str());
        if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_READONLY) &&
            ::SetFileAttributesW(name.c_str(), attributes & ~DWORD{FILE_ATTRIBUTE_READONLY})) {
            if (::DeleteFileW(name.c_str()))
                return 0;
            err = ::GetLastError();
        }
    }
    return err;
}

void unlink_quietly(const path& file) noexcept {
    (void)delete_file(file);
}

Status set_read_only(HANDLE handle, const path& file) {
    FILE_BASIC_INFO info{};
    if (!::GetFileInformationByHandleEx(handle, FileBasicInfo, &info, sizeof info))
        return win_error(::GetLastError(), "set the attributes of", file);
    info.FileAttributes |= FILE_ATTRIBUTE_READONLY;
    info.FileAttributes &= ~DWORD{FILE_ATTRIBUTE_NORMAL};
    if (!::SetFileInformationByHandle(handle, FileBasicInfo, &info, sizeof info))
        return win_error(::GetLastError(), "set the attributes of", file);
    return {};
}

Status write_durably_to_temp(const path& temp, const path& final_path, ByteView data,
                             FinalMode mode) {
    Handle handle(create_new_private_file(temp));
    if (!handle.valid())
        return win_error(::GetLastError(), "create a temp file for", final_path);
    test_hooks::crash_point("after-temp-create");
    TRY(write_all(handle.get(), data, final_path));
    test_hooks::crash_point("after-temp-write");
    if (mode == FinalMode::read_only)
        TRY(set_read_only(handle.get(), final_path));
    TRY(flush_handle(handle.get(), final_path));
    test_hooks::crash_point("after-fsync");
    if (const DWORD err = handle.close_checked())
        return win_error(err, "close the temp file for", final_path);
    return {};
}

bool is_reparse_point(DWORD attributes) {
    return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_REPARSE_POINT);
}

// Information about an open handle; reparse points and anything but a plain disk file refused.
Status check_regular(HANDLE handle, const path& file, std::string_view action,
                     BY_HANDLE_FILE_INFORMATION& info) {
    if (!::GetFileInformationByHandle(handle, &info))
        return win_error(::GetLastError(), "stat", file);
    if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
        return symlink_error(action, file);
    return windows::require_disk_file(handle, info, file);
}

std::uint64_t size_of(const BY_HANDLE_FILE_INFORMATION& info) {
    return (static_cast<std::uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
}

Result<Handle> open_for_reading(const path& file, BY_HANDLE_FILE_INFORMATION& info) {
    // FILE_FLAG_BACKUP_SEMANTICS lets a directory be opened too, so that it is reported as "not a
    // regular file" like on POSIX. Sharing read/write/delete: never in another program's way.
    Handle handle(::CreateFileW(
        wide_path(file).c_str(), GENERIC_READ | READ_CONTROL,
        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
        FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!handle.valid())
        return win_error(::GetLastError(), "open", file);
    TRY(check_regular(handle.get(), file, "read", info));
    return handle;
}

Status check_size(std::uint64_t size, std::size_t max_size, const path& file) {
    if (size > max_size) {
        return make_error(Errc::limit_exceeded,
                          "cannot read " + describe(file) + ": it is " + std::to_string(size) +
                              " bytes, more than the limit of " + std::to_string(max_size),
                          "check that this is the right file");
    }
    return {};
}

Status read_exactly(HANDLE handle, std::span<std::uint8_t> out, const path& file) {
    std::size_t done = 0;
    for (;;) {
        std::uint8_t probe = 0;
        std::uint8_t* dest = done < out.size() ? out.data() + done : &probe;
        const std::size_t want = done < out.size() ? out.size() - done : 1;
        DWORD got = 0;
        DWORD err = static_cast<DWORD>(test_hooks::injected_fault("read"));
        if (err == 0 &&
            !::ReadFile(handle, dest, static_cast<DWORD>(std::min<std::size_t>(want, 1u << 30)),
                        &got, nullptr))
            err = ::GetLastError();
        if (err == ERROR_OPERATION_ABORTED)
            continue;
        if (err != 0)
            return win_error(err, "read", file);
        if (got == 0)
            break;
        if (done >= out.size()) {
            return make_error(Errc::io,
                              "cannot read " + describe(file) + ": it grew while being read",
                              "make sure no other program is writing it, then try again");
        }
        done += got;
    }
    if (done != out.size()) {
        return make_error(Errc::io,
                          "cannot read " + describe(file) + ": it shrank while being read",
                          "make sure no other program is writing it, then try again");
    }
    return {};
}

// unsafe_permissions when the object's DACL lets anyone but its owner, this account, SYSTEM and
// the Administrators read or change it.
Status check_owner_only(HANDLE handle, const path& file, std::string_view refusal,
                        std::string_view what) {
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    const DWORD err = ::GetSecurityInfo(handle, SE_FILE_OBJECT,
                                        OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                        nullptr, nullptr, nullptr, nullptr, &descriptor);
    if (err != ERROR_SUCCESS)
        return win_error(err, "read the access list of", file);
    std::vector<std::uint8_t> user = windows::current_user_sid();
    const std::optional<std::string> foreign =
        windows::foreign_access_sid(descriptor, user.empty() ? nullptr : user.data());
    std::string account;
    if (foreign) {
        PSID sid = nullptr;
        const std::wstring text = windows::to_wide(*foreign);
        if (::ConvertStringSidToSidW(text.c_str(), &sid)) {
            account = windows::account_text(sid);
            ::LocalFree(sid);
        } else {
            account = *foreign;
        }
    }
    ::LocalFree(descriptor);
    if (!foreign)
        return {};
    return make_error(Errc::unsafe_permissions,
                      std::string(refusal) + " " + describe(file) + ": its access list lets " +
                          account + " " + std::string(what),
                      icacls_hint(file) + " /remove:g *" + *foreign);
}

Status check_directory_owner_only(const path& dir) {
    Handle handle(::CreateFileW(
        wide_path(dir).c_str(), READ_CONTROL | FILE_READ_ATTRIBUTES,
        FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
        FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr));
    if (!handle.valid())
        return win_error(::GetLastError(), "open directory", dir);
    return check_owner_only(handle.get(), dir, "refusing to use", "in");
}

// Commits `temp` under `final_path` (see the header's step 7).
DWORD commit(const path& temp, const path& final_path, Overwrite overwrite) {
    if (overwrite == Overwrite::no) {
        // "einval:rename-noreplace" selects the link(2) fallback on POSIX; Windows has a single
        // no-replace commit, so that fault only leads to the same commit here.
        const int fault = test_hooks::injected_fault("rename-noreplace");
        if (fault != 0 && static_cast<DWORD>(fault) != ERROR_INVALID_PARAMETER)
            return static_cast<DWORD>(fault);
    }
    if (const int fault = test_hooks::injected_fault("rename"))
        return static_cast<DWORD>(fault);
    const std::wstring from = wide_path(temp);
    const std::wstring to = wide_path(final_path);
    DWORD flags = MOVEFILE_WRITE_THROUGH;
    if (overwrite == Overwrite::yes) {
        flags |= MOVEFILE_REPLACE_EXISTING;
        // MoveFileExW cannot replace a read-only file; a replaced record may have been one.
        const DWORD attributes = ::GetFileAttributesW(to.c_str());
        if (attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_READONLY) &&
            !(attributes & FILE_ATTRIBUTE_DIRECTORY))
            ::SetFileAttributesW(to.c_str(), attributes & ~DWORD{FILE_ATTRIBUTE_READONLY});
    }
    if (!::MoveFileExW(from.c_str(), to.c_str(), flags))
        return ::GetLastError();
    return 0;
}

}  // namespace

namespace detail {

int native_error_for_fault(std::string_view name) noexcept {
    if (name == "enospc")
        return ERROR_DISK_FULL;
    if (name == "edquot")
        return k_error_disk_quota_exceeded;
    if (name == "eio")
        return ERROR_IO_DEVICE;
    if (name == "erofs")
        return ERROR_WRITE_PROTECT;
    if (name == "eacces" || name == "eperm")
        return ERROR_ACCESS_DENIED;
    if (name == "eintr")
        return ERROR_OPERATION_ABORTED;
    if (name == "einval")
        return ERROR_INVALID_PARAMETER;
    return 0;
}

}  // namespace detail

Error file_error(const std::error_code& error, std::string_view action, const path& file) {
    // std::filesystem reports Win32 errors in the system category; anything else is an errno
    // value, mapped through its portable condition.
    if (error.category() == std::system_category())
        return win_error(static_cast<DWORD>(error.value()), action, file);
    const std::error_condition condition = error.default_error_condition();
    if (condition == std::errc::no_space_on_device)
        return win_error(ERROR_DISK_FULL, action, file);
    if (condition == std::errc::read_only_file_system)
        return win_error(ERROR_WRITE_PROTECT, action, file);
    if (condition == std::errc::permission_denied ||
        condition == std::errc::operation_not_permitted)
        return win_error(ERROR_ACCESS_DENIED, action, file);
    if (condition == std::errc::no_such_file_or_directory ||
        condition == std::errc::not_a_directory)
        return win_error(ERROR_PATH_NOT_FOUND, action, file);
    if (condition == std::errc::file_exists)
        return win_error(ERROR_ALREADY_EXISTS, action, file);
    if (condition == std::errc::too_many_symbolic_link_levels)
        return symlink_error(action, file);
    return make_error(
        Errc::io, "cannot " + std::string(action) + " " + describe(file) + ": " + error.message(),
        "check the disk and the System event log (Event Viewer)");
}

Status probe_directory_writable(const path& dir, std::size_t size) {
    const path temp = dir / new_temp_name();
    Status result;
    {
        Handle handle(create_new_private_file(temp));
        if (!handle.valid())
            return win_error(::GetLastError(), "create a test file in", dir);
        const Bytes zeros(size, 0);
        result = write_all(handle.get(), zeros, temp);
        if (result)
            result = flush_handle(handle.get(), temp);
        if (const DWORD err = handle.close_checked(); result && err != 0)
            result = win_error(err, "close", temp);
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
    if (const DWORD err = commit(temp, final_path, overwrite)) {
        unlink_quietly(temp);
        if (overwrite == Overwrite::no &&
            (err == ERROR_ALREADY_EXISTS || err == ERROR_FILE_EXISTS)) {
            return make_error(Errc::already_exists,
                              "cannot create " + describe(final_path) + ": it already exists",
                              "an object is never replaced; the existing file was left as it "
                              "was");
        }
        return win_error(err, "rename into place", final_path);
    }
    test_hooks::crash_point("after-rename");
    if (Status synced = fsync_directory_hooked(dir); !synced) {
        if (overwrite == Overwrite::no)
            unlink_quietly(final_path);
        return std::move(synced).error();
    }
    test_hooks::crash_point("after-fsync-dir");
    return {};
}

Status replace_file_atomically(const path& final_path, ByteView data) {
    const path temp = directory_of(final_path) / new_temp_name();
    Status written;
    {
        Handle handle(create_new_private_file(temp));
        if (!handle.valid())
            return win_error(::GetLastError(), "create a temp file for", final_path);
        written = write_all(handle.get(), data, final_path);
        if (const DWORD err = handle.close_checked(); written && err != 0)
            written = win_error(err, "close the temp file for", final_path);
    }
    if (written) {
        if (const DWORD err = commit(temp, final_path, Overwrite::yes))
            written = win_error(err, "rename into place", final_path);
    }
    if (!written)
        unlink_quietly(temp);
    return written;
}

Status write_secret_file_exclusive(const path& file, ByteView data) {
    Handle handle(create_new_private_file(file));
    if (!handle.valid()) {
        const DWORD err = ::GetLastError();
        if (err == ERROR_FILE_EXISTS || err == ERROR_ALREADY_EXISTS) {
            return make_error(Errc::already_exists,
                              "cannot create " + describe(file) + ": it already exists",
                              "secret files are never overwritten (nor followed if they are "
                              "symbolic links); choose another path or move the old file away");
        }
        return win_error(err, "create", file);
    }
    auto fail = [&](Error error) -> Status {
        if (handle.valid())
            handle.close_checked();
        unlink_quietly(file);
        return error;
    };
    test_hooks::crash_point("secret-after-create");
    if (Status s = write_all(handle.get(), data, file); !s)
        return fail(std::move(s).error());
    if (Status s = flush_handle(handle.get(), file); !s)
        return fail(std::move(s).error());
    if (const DWORD err = handle.close_checked())
        return fail(win_error(err, "close", file));
    test_hooks::crash_point("secret-after-write");
    if (Status s = fsync_directory_hooked(directory_of(file)); !s)
        return fail(std::move(s).error());
    return {};
}

Status write_secret_file_exclusive(const path& file, const crypto::SecretBytes& data) {
    return write_secret_file_exclusive(file, data.view());
}

Status append_file_durably(const path& file, ByteView data, CreateIfMissing create) {
    bool created = false;
    bool tried_create = false;
    constexpr DWORD access = GENERIC_WRITE | FILE_READ_ATTRIBUTES | READ_CONTROL;
    constexpr DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE;
    HANDLE raw = create_file_hooked(file, access, share, nullptr, OPEN_EXISTING,
                                    FILE_ATTRIBUTE_NORMAL | FILE_FLAG_WRITE_THROUGH);
    DWORD err = raw == INVALID_HANDLE_VALUE ? ::GetLastError() : 0;
    if (raw == INVALID_HANDLE_VALUE && err == ERROR_FILE_NOT_FOUND &&
        create == CreateIfMissing::yes) {
        windows::OwnerOnlySecurity security(false);
        raw = create_file_hooked(file, access, share, security.attributes(), CREATE_NEW,
                                 FILE_ATTRIBUTE_NORMAL | FILE_FLAG_WRITE_THROUGH);
        err = raw == INVALID_HANDLE_VALUE ? ::GetLastError() : 0;
        created = raw != INVALID_HANDLE_VALUE;
        tried_create = true;
    }
    if (raw == INVALID_HANDLE_VALUE)
        return win_error(err, tried_create ? "create" : "open for appending", file);
    Handle handle(raw);
    auto fail = [&](Error error) -> Status {
        if (created) {
            handle.close_checked();
            unlink_quietly(file);
        }
        return error;
    };
    BY_HANDLE_FILE_INFORMATION info{};
    if (Status s = check_regular(handle.get(), file, "append to", info); !s)
        return fail(std::move(s).error());
    const auto old_size = static_cast<LONGLONG>(size_of(info));
    auto roll_back = [&](Error error) -> Status {
        // Cut off whatever part of the record reached the file, so no torn record remains.
        FILE_END_OF_FILE_INFO end{};
        end.EndOfFile.QuadPart = old_size;
        if (::SetFileInformationByHandle(handle.get(), FileEndOfFileInfo, &end, sizeof end))
            (void)::FlushFileBuffers(handle.get());
        return fail(std::move(error));
    };
    // Offset 0xFFFFFFFF:0xFFFFFFFF writes at the current end of the file, as O_APPEND does.
    OVERLAPPED at_end{};
    at_end.Offset = 0xFFFFFFFF;
    at_end.OffsetHigh = 0xFFFFFFFF;
    if (Status s = write_all(handle.get(), data, file, &at_end); !s)
        return roll_back(std::move(s).error());
    if (Status s = flush_handle(handle.get(), file); !s)
        return roll_back(std::move(s).error());
    if (const DWORD close_err = handle.close_checked())
        return fail(win_error(close_err, "close", file));
    if (created) {
        if (Status s = fsync_directory_hooked(directory_of(file)); !s)
            return fail(std::move(s).error());
    }
    return {};
}

Result<Bytes> read_file(const path& file, std::size_t max_size) {
    BY_HANDLE_FILE_INFORMATION info{};
    TRY_ASSIGN(Handle handle, open_for_reading(file, info));
    TRY(check_size(size_of(info), max_size, file));
    Bytes out(static_cast<std::size_t>(size_of(info)));
    TRY(read_exactly(handle.get(), out, file));
    return out;
}

Result<crypto::SecretBytes> read_secret_file(const path& file, std::size_t max_size,
                                             RequireOwnerOnly require) {
    BY_HANDLE_FILE_INFORMATION info{};
    TRY_ASSIGN(Handle handle, open_for_reading(file, info));
    if (require == RequireOwnerOnly::yes)
        TRY(check_owner_only(handle.get(), file, "refusing to read", "read or change it"));
    TRY(check_size(size_of(info), max_size, file));
    crypto::SecretBytes out(static_cast<std::size_t>(size_of(info)));
    TRY(read_exactly(handle.get(), out.span(), file));
    return out;
}

Status remove_stale_temp_files(const path& dir) {
    return remove_stale_temp_files(dir, std::chrono::seconds(-1));
}

Status remove_stale_temp_files(const path& dir, std::chrono::seconds older_than) {
    const DWORD dir_attributes = ::GetFileAttributesW(wide_path(dir).c_str());
    if (dir_attributes == INVALID_FILE_ATTRIBUTES) {
        const DWORD err = ::GetLastError();
        if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND)
            return {};
        return win_error(err, "open directory", dir);
    }
    if (is_reparse_point(dir_attributes))
        return symlink_error("open directory", dir);
    FILETIME now_ft{};
    ::GetSystemTimeAsFileTime(&now_ft);
    const auto ticks = [](const FILETIME& ft) {
        return static_cast<std::int64_t>((static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) |
                                         ft.dwLowDateTime);
    };
    // FILETIME counts 100-nanosecond ticks.
    const std::int64_t cutoff = ticks(now_ft) - older_than.count() * 10'000'000;
    WIN32_FIND_DATAW entry{};
    const std::wstring pattern = wide_path(dir / "*");
    HANDLE search = ::FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &entry,
                                       FindExSearchNameMatch, nullptr, 0);
    if (search == INVALID_HANDLE_VALUE) {
        const DWORD err = ::GetLastError();
        if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND)
            return {};
        return win_error(err, "list", dir);
    }
    bool removed = false;
    Status result;
    do {
        const std::string name = windows::to_utf8(entry.cFileName);
        if (!is_temp_name(name))
            continue;
        const bool link = (entry.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
        const bool directory = (entry.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
        if (directory && !link)
            continue;
        if (older_than.count() >= 0 && ticks(entry.ftLastWriteTime) > cutoff)
            continue;
        const path file = dir / path_from_utf8(name);
        // A directory symbolic link is removed with RemoveDirectoryW, which removes the link only.
        DWORD err = 0;
        if (directory)
            err = ::RemoveDirectoryW(wide_path(file).c_str()) ? 0 : ::GetLastError();
        else
            err = delete_file(file);
        if (err == 0)
            removed = true;
        else if (err != ERROR_FILE_NOT_FOUND && result.ok())
            result = win_error(err, "remove stale temp file", file);
    } while (::FindNextFileW(search, &entry));
    const DWORD last = ::GetLastError();
    ::FindClose(search);
    if (last != ERROR_NO_MORE_FILES && result.ok())
        result = win_error(last, "list", dir);
    if (removed)
        TRY(fsync_directory_hooked(dir));
    return result;
}

Status for_each_directory_name(const path& dir,
                               const std::function<Status(std::string_view)>& visit) {
    const DWORD dir_attributes = ::GetFileAttributesW(wide_path(dir).c_str());
    if (dir_attributes == INVALID_FILE_ATTRIBUTES)
        return win_error(::GetLastError(), "list", dir);
    if (is_reparse_point(dir_attributes))
        return symlink_error("list", dir);
    WIN32_FIND_DATAW entry{};
    const std::wstring pattern = wide_path(dir / "*");
    HANDLE search = ::FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &entry,
                                       FindExSearchNameMatch, nullptr, FIND_FIRST_EX_LARGE_FETCH);
    if (search == INVALID_HANDLE_VALUE) {
        const DWORD err = ::GetLastError();
        if (err == ERROR_FILE_NOT_FOUND)
            return {};  // an empty directory (not even "." is reported)
        return win_error(err, "list", dir);
    }
    Status result;
    do {
        const std::string name = windows::to_utf8(entry.cFileName);
        if (name == "." || name == "..")
            continue;
        result = visit(name);
        if (!result)
            break;
    } while (::FindNextFileW(search, &entry));
    const DWORD last = result ? ::GetLastError() : ERROR_NO_MORE_FILES;
    ::FindClose(search);
    if (last != ERROR_NO_MORE_FILES)
        return win_error(last, "list", dir);
    return result;
}

Status ensure_private_directory(const path& dir) {
    DWORD err = static_cast<DWORD>(test_hooks::injected_fault("open"));
    if (err == 0) {
        windows::OwnerOnlySecurity security(true);
        if (!::CreateDirectoryW(wide_path(dir).c_str(), security.attributes()))
            err = ::GetLastError();
    }
    if (err == 0)
        return fsync_directory_hooked(directory_of(dir));
    if (err != ERROR_ALREADY_EXISTS && err != ERROR_FILE_EXISTS)
        return win_error(err, "create directory", dir);
    const DWORD attributes = ::GetFileAttributesW(wide_path(dir).c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES)
        return win_error(::GetLastError(), "stat", dir);
    if (is_reparse_point(attributes)) {
        return make_error(Errc::unsafe_permissions,
                          "refusing to use " + describe(dir) + ": it is a symbolic link",
                          "use the real path of the directory");
    }
    if (!(attributes & FILE_ATTRIBUTE_DIRECTORY)) {
        return make_error(
            Errc::already_exists,
            "cannot create directory " + describe(dir) + ": a file of that name exists",
            "move the file away or choose another path");
    }
    return check_directory_owner_only(dir);
}

Status fsync_directory(const path& dir) {
    return fsync_directory_hooked(dir);
}

Status remove_file_durably(const path& file) {
    if (const DWORD err = delete_file(file))
        return win_error(err, "remove", file);
    return fsync_directory_hooked(directory_of(file));
}

Result<FileStatus> file_status(const path& file) {
    WIN32_FILE_ATTRIBUTE_DATA data{};
    const std::wstring name = wide_path(file);
    if (!::GetFileAttributesExW(name.c_str(), GetFileExInfoStandard, &data)) {
        const DWORD err = ::GetLastError();
        if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND ||
            err == ERROR_INVALID_NAME || err == ERROR_BAD_NETPATH)
            return FileStatus{};
        return win_error(err, "stat", file);
    }
    FileStatus status;
    if (data.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
        status.kind = FileKind::symlink;
    else if (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        status.kind = FileKind::directory;
    else if (data.dwFileAttributes & FILE_ATTRIBUTE_DEVICE)
        status.kind = FileKind::other;
    else
        status.kind = FileKind::regular;
    status.size = (static_cast<std::uint64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
    // FILETIME: 100-nanosecond ticks since 1601-01-01; 11644473600 seconds before 1970.
    const std::int64_t ticks = static_cast<std::int64_t>(
        (static_cast<std::uint64_t>(data.ftLastWriteTime.dwHighDateTime) << 32) |
        data.ftLastWriteTime.dwLowDateTime);
    status.last_write = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds((ticks - 116444736000000000LL) * 100)));
    PSID owner = nullptr;
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (::GetNamedSecurityInfoW(name.c_str(), SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner,
                                nullptr, nullptr, nullptr, &descriptor) == ERROR_SUCCESS) {
        std::vector<std::uint8_t> user = windows::current_user_sid();
        status.owned_by_current_user =
            owner != nullptr && !user.empty() && ::EqualSid(owner, user.data());
        ::LocalFree(descriptor);
    }
    return status;
}

Result<std::string> read_regular_file_bounded(const path& file, std::size_t max_size,
                                              std::uint64_t* size_at_open) {
    // Opening a named pipe or device never waits here: CreateFileW fails (ERROR_PIPE_BUSY) or
    // succeeds at once, and anything but a disk file is refused below.
    Handle handle(::CreateFileW(wide_path(file).c_str(), GENERIC_READ,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!handle.valid())
        return win_error(::GetLastError(), "open", file);
    BY_HANDLE_FILE_INFORMATION info{};
    if (!::GetFileInformationByHandle(handle.get(), &info))
        return win_error(::GetLastError(), "stat", file);
    TRY(windows::require_disk_file(handle.get(), info, file));
    const std::uint64_t size = size_of(info);
    if (size_at_open != nullptr)
        *size_at_open = size;
    if (size > max_size) {
        return make_error(Errc::limit_exceeded, describe(file) + " is " + std::to_string(size) +
                                                    " bytes, above the " +
                                                    std::to_string(max_size) + "-byte limit");
    }
    // Read at most one byte past the limit, so a file that grows meanwhile is still refused.
    std::string text(static_cast<std::size_t>(size) + 1, '\0');
    std::size_t filled = 0;
    for (;;) {
        if (filled == text.size()) {
            if (text.size() > max_size)
                break;
            text.resize(std::min(text.size() * 2, max_size + 1));
        }
        DWORD got = 0;
        const auto want = static_cast<DWORD>(std::min<std::size_t>(text.size() - filled, 1u << 30));
        if (!::ReadFile(handle.get(), text.data() + filled, want, &got, nullptr))
            return win_error(::GetLastError(), "read", file);
        if (got == 0)
            break;
        filled += got;
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
    // FILE_APPEND_DATA without FILE_WRITE_DATA: every write goes to the end of the file, as with
    // O_APPEND. OPEN_ALWAYS creates it owner-only when missing.
    windows::OwnerOnlySecurity security(false);
    HANDLE raw = ::CreateFileW(
        wide_path(file).c_str(), FILE_APPEND_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
        FILE_SHARE_READ | FILE_SHARE_WRITE, security.attributes(), OPEN_ALWAYS,
        FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (raw == INVALID_HANDLE_VALUE)
        return win_error(::GetLastError(), action, file);
    AppendOnlyFile log(reinterpret_cast<std::intptr_t>(raw), file);
    BY_HANDLE_FILE_INFORMATION info{};
    if (!::GetFileInformationByHandle(raw, &info))
        return win_error(::GetLastError(), "stat", file);
    if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
        return symlink_error(action, file);
    TRY(windows::require_disk_file(raw, info, file));
    return log;
}

AppendOnlyFile::AppendOnlyFile(AppendOnlyFile&& other) noexcept
    : m_handle(std::exchange(other.m_handle, -1)), m_file(std::move(other.m_file)) {}

AppendOnlyFile& AppendOnlyFile::operator=(AppendOnlyFile&& other) noexcept {
    if (this != &other) {
        if (m_handle != -1)
            ::CloseHandle(reinterpret_cast<HANDLE>(m_handle));
        m_handle = std::exchange(other.m_handle, -1);
        m_file = std::move(other.m_file);
    }
    return *this;
}

AppendOnlyFile::~AppendOnlyFile() {
    if (m_handle != -1)
        ::CloseHandle(reinterpret_cast<HANDLE>(m_handle));
}

Status AppendOnlyFile::append(std::string_view text) {
    HANDLE handle = reinterpret_cast<HANDLE>(m_handle);
    DWORD written = 0;
    if (!::WriteFile(handle, text.data(), static_cast<DWORD>(text.size()), &written, nullptr))
        return win_error(::GetLastError(), "write", m_file);
    if (written != text.size())
        return win_error(ERROR_WRITE_FAULT, "write", m_file);
    if (!::FlushFileBuffers(handle))
        return win_error(::GetLastError(), "fsync", m_file);
    return {};
}

Result<path> create_private_temp_directory(const path& parent, std::string_view prefix) {
    windows::OwnerOnlySecurity security(true);
    // Like mkdtemp(3): an unpredictable name, created exclusively; a clash is tried again.
    for (int attempt = 0; attempt < 100; ++attempt) {
        const path dir = parent / path_from_utf8(std::string(prefix) +
                                                 to_hex(crypto::random_bytes(4)).substr(0, 6));
        if (::CreateDirectoryW(wide_path(dir).c_str(), security.attributes()))
            return dir;
        const DWORD err = ::GetLastError();
        if (err != ERROR_ALREADY_EXISTS && err != ERROR_FILE_EXISTS)
            return win_error(err, "create a scratch directory in", parent);
    }
    return win_error(ERROR_ALREADY_EXISTS, "create a scratch directory in", parent);
}

Status overwrite_and_remove_file(const path& file) {
    Status result;
    {
        Handle handle(::CreateFileW(
            wide_path(file).c_str(), GENERIC_WRITE, FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
            FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_WRITE_THROUGH, nullptr));
        if (!handle.valid()) {
            const DWORD err = ::GetLastError();
            if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND)
                return {};
        }
        BY_HANDLE_FILE_INFORMATION info{};
        if (handle.valid() && ::GetFileInformationByHandle(handle.get(), &info) &&
            !(info.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY)) &&
            ::GetFileType(handle.get()) == FILE_TYPE_DISK) {
            static const std::vector<std::uint8_t> zeros(4096, 0);
            std::uint64_t left = size_of(info);
            while (left > 0 && result) {
                const auto chunk = static_cast<DWORD>(std::min<std::uint64_t>(left, zeros.size()));
                DWORD written = 0;
                if (!::WriteFile(handle.get(), zeros.data(), chunk, &written, nullptr) ||
                    written == 0)
                    result = win_error(::GetLastError(), "overwrite", file);
                else
                    left -= written;
            }
            if (result && !::FlushFileBuffers(handle.get()))
                result = win_error(::GetLastError(), "fsync of", file);
        }
    }
    // A reparse point or another open failure: still remove the name, never follow it.
    const DWORD err = delete_file(file);
    if (err != 0 && err != ERROR_FILE_NOT_FOUND && err != ERROR_PATH_NOT_FOUND && result)
        result = win_error(err, "remove", file);
    return result;
}

Status remove_empty_directory(const path& dir) {
    if (!::RemoveDirectoryW(wide_path(dir).c_str()))
        return win_error(::GetLastError(), "remove", dir);
    return {};
}

}  // namespace ssoescrow::platform
