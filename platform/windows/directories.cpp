#include "platform/directories.hpp"

#include <windows.h>

#include <shlobj.h>

#include <string>
#include <vector>

#include "platform/environment.hpp"
#include "platform/path_text.hpp"
#include "platform/windows/security.hpp"
#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform {
namespace {

// The scheduled backup job runs as a service account, which has no profile of its own worth
// keeping state in; its state goes to %ProgramData% (machine-wide, writable by services).
bool runs_as_service_account() {
    std::vector<std::uint8_t> user = windows::current_user_sid();
    if (user.empty())
        return false;
    PSID sid = user.data();
    return ::IsWellKnownSid(sid, WinLocalSystemSid) || ::IsWellKnownSid(sid, WinLocalServiceSid) ||
           ::IsWellKnownSid(sid, WinNetworkServiceSid);
}

// A known folder (FOLDERID_*), else the environment variable that names the same place.
std::optional<std::filesystem::path> known_folder(const KNOWNFOLDERID& id,
                                                  std::string_view variable) {
    wchar_t* folder = nullptr;
    if (SUCCEEDED(::SHGetKnownFolderPath(id, KF_FLAG_DEFAULT, nullptr, &folder)) &&
        folder != nullptr) {
        std::filesystem::path result(folder);
        ::CoTaskMemFree(folder);
        return result;
    }
    if (folder != nullptr)
        ::CoTaskMemFree(folder);
    if (const auto value = environment_variable(variable); value && !value->empty())
        return path_from_utf8(*value);
    return std::nullopt;
}

}  // namespace

Result<std::filesystem::path> temp_directory() {
    wchar_t buffer[MAX_PATH + 2];
    const DWORD length = ::GetTempPathW(MAX_PATH + 2, buffer);
    const std::string tmp = environment_variable("TMP").value_or("unset");
    if (length == 0 || length > MAX_PATH + 1) {
        return make_error(Errc::io, "no temp directory (TMP=" + tmp + "): " +
                                        windows::error_text(::GetLastError()),
                          "set TMP to an existing private directory");
    }
    std::filesystem::path temp(std::wstring(buffer, length));
    const DWORD attributes = ::GetFileAttributesW(temp.c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES || !(attributes & FILE_ATTRIBUTE_DIRECTORY)) {
        return make_error(Errc::io,
                          "no temp directory (TMP=" + tmp + "): " + path_to_utf8(temp) +
                              " is not a directory",
                          "set TMP to an existing private directory");
    }
    return temp;
}

Result<std::filesystem::path> default_state_root() {
    const bool service = runs_as_service_account();
    const auto folder = service ? known_folder(FOLDERID_ProgramData, "ProgramData")
                                : known_folder(FOLDERID_LocalAppData, "LOCALAPPDATA");
    if (!folder) {
        return make_error(Errc::not_found,
                          std::string("no state directory: ") +
                              (service ? "%ProgramData%" : "%LOCALAPPDATA%") + " is not known",
                          "pass --state-dir DIR (a directory outside the vault)");
    }
    return *folder / "ssoescrow";
}

}  // namespace ssoescrow::platform
