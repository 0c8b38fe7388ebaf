#include "platform/secret_input.hpp"

#include <windows.h>

#include <aclapi.h>
#include <io.h>
#include <sddl.h>

#include <cstdlib>
#include <memory>

#include "platform/path_text.hpp"
#include "platform/windows/acl_check.hpp"
#include "platform/windows/input_file.hpp"
#include "platform/windows/unique_handle.hpp"
#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {
namespace {

using crypto::SecretBytes;

struct LocalFreer {
    void operator()(void* memory) const { ::LocalFree(memory); }
};

using Handle = windows::UniqueHandle;

Result<SecretBytes> read_all(HANDLE handle, std::size_t max_size, const std::string& what) {
    SecretBytes buffer(max_size + 1);  // one more: to see that the input is too long
    std::size_t used = 0;
    for (;;) {
        if (used == buffer.size()) {
            return make_error(Errc::limit_exceeded,
                              what + ": longer than " + std::to_string(max_size) + " bytes");
        }
        DWORD got = 0;
        if (!::ReadFile(handle, buffer.data() + used, static_cast<DWORD>(buffer.size() - used),
                        &got, nullptr)) {
            const DWORD error = ::GetLastError();
            if (error == ERROR_BROKEN_PIPE || error == ERROR_HANDLE_EOF)
                break;  // the writer closed the pipe: end of input
            return make_error(Errc::io, what + ": cannot read: " + windows::error_text(error));
        }
        if (got == 0)
            break;
        used += got;
    }
    buffer.truncate(used);
    return buffer;
}

// The SID of the account this process runs as.
std::unique_ptr<unsigned char[]> current_user_sid() {
    HANDLE token = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token))
        return nullptr;
    DWORD size = 0;
    ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    auto buffer = std::make_unique<unsigned char[]>(size);
    const BOOL ok = ::GetTokenInformation(token, TokenUser, buffer.get(), size, &size);
    ::CloseHandle(token);
    if (!ok)
        return nullptr;
    const auto* user = reinterpret_cast<const TOKEN_USER*>(buffer.get());
    const DWORD length = ::GetLengthSid(user->User.Sid);
    auto sid = std::make_unique<unsigned char[]>(length);
    ::CopySid(length, sid.get(), user->User.Sid);
    return sid;
}

bool is_well_known(PSID sid, WELL_KNOWN_SID_TYPE type) {
    return ::IsWellKnownSid(sid, type) != FALSE;
}

std::string icacls_hint(const std::string& path) {
    return "icacls \"" + path + "\" /inheritance:r /grant:r \"%USERNAME%:F\"";
}

// Owner: you, or Administrators when you are one (files an elevated administrator creates are
// owned by the group). DACL: read/write granted to nobody else but SYSTEM and Administrators.
Status check_owner_only(HANDLE file, const std::string& path) {
    PSID owner = nullptr;
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    const DWORD error = ::GetSecurityInfo(file, SE_FILE_OBJECT,
                                          OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                          &owner, nullptr, nullptr, nullptr, &descriptor);
    if (error != ERROR_SUCCESS)
        return make_error(Errc::io,
                          path + ": cannot read its permissions: " + windows::error_text(error));
    std::unique_ptr<void, LocalFreer> release(descriptor);
    const auto user = current_user_sid();
    if (user == nullptr)
        return make_error(Errc::io, path + ": cannot tell which account runs ssoescrow");
    BOOL admin = FALSE;
    const bool owner_is_admins = is_well_known(owner, WinBuiltinAdministratorsSid);
    if (owner_is_admins) {
        unsigned char admins[SECURITY_MAX_SID_SIZE];
        DWORD size = sizeof admins;
        if (::CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, admins, &size))
            ::CheckTokenMembership(nullptr, admins, &admin);
    }
    if (!::EqualSid(owner, user.get()) && !(owner_is_admins && admin)) {
        return make_error(Errc::unsafe_permissions, path + ": not owned by you",
                          "use a file you own: " + icacls_hint(path));
    }
    // The same rule as every other owner-only check (acl_check.hpp), so that a passphrase file
    // and a key file are judged alike; a missing DACL counts as Everyone.
    if (const auto foreign = windows::foreign_access_sid(descriptor, user.get())) {
        return make_error(Errc::unsafe_permissions,
                          path + ": readable or writable by others (" + *foreign + ")",
                          icacls_hint(path) + " /remove:g *" + *foreign);
    }
    return {};
}

}  // namespace

Result<SecretBytes> read_owner_only_secret_file(const std::string& path, std::size_t max_size) {
    const std::wstring wide = windows::to_wide(path);
    Handle file(::CreateFileW(wide.c_str(), GENERIC_READ | READ_CONTROL, FILE_SHARE_READ, nullptr,
                              OPEN_EXISTING,
                              FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!file.valid()) {
        const DWORD error = ::GetLastError();
        const bool missing = error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND;
        return make_error(missing ? Errc::not_found : Errc::io,
                          path + ": cannot open: " + windows::error_text(error));
    }
    BY_HANDLE_FILE_INFORMATION info{};
    if (!::GetFileInformationByHandle(file.get(), &info)) {
        return make_error(Errc::io,
                          path + ": cannot stat: " + windows::error_text(::GetLastError()));
    }
    if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
        return make_error(Errc::unsafe_permissions, path + ": the file is a symbolic link",
                          "point the option at the file itself");
    }
    TRY(windows::require_disk_file(file.get(), info, path_from_utf8(path)));
    TRY(check_owner_only(file.get(), path));
    return read_all(file.get(), max_size, path);
}

Result<SecretBytes> read_secret_from_descriptor(int fd, std::size_t max_size,
                                                const std::string& what) {
    // _get_osfhandle reports a descriptor that is not open through the invalid-parameter
    // handler, which ends the process by default in the MSVC runtime: a no-op handler for the
    // duration of the call turns that into the -1 it then returns.
    if (fd < 0)
        return make_error(Errc::usage, what + " is not open");
    const _invalid_parameter_handler previous = ::_set_invalid_parameter_handler(
        [](const wchar_t*, const wchar_t*, const wchar_t*, unsigned int, uintptr_t) {});
    const intptr_t handle = ::_get_osfhandle(fd);
    ::_set_invalid_parameter_handler(previous);
    if (handle == -1 || handle == -2)
        return make_error(Errc::usage, what + " is not open");
    return read_all(reinterpret_cast<HANDLE>(handle), max_size, what);
}

}  // namespace ssoescrow::platform
