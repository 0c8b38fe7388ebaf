#include "platform/windows/wide_path.hpp"

#include <windows.h>

namespace ssoescrow::platform::windows {
namespace {

// CreateDirectoryW's limit (MAX_PATH less room for an 8.3 file name) is the strictest one.
constexpr std::size_t k_short_path_limit = MAX_PATH - 12;

}  // namespace

std::wstring wide_path(const std::filesystem::path& path) {
    const std::wstring& native = path.native();
    if (native.size() < k_short_path_limit || native.rfind(L"\\\\?\\", 0) == 0)
        return native;
    const DWORD needed = ::GetFullPathNameW(native.c_str(), 0, nullptr, nullptr);
    if (needed == 0)
        return native;
    std::wstring full(needed, L'\0');
    const DWORD length = ::GetFullPathNameW(native.c_str(), needed, full.data(), nullptr);
    if (length == 0 || length >= needed)
        return native;
    full.resize(length);
    if (full.rfind(L"\\\\?\\", 0) == 0 || full.rfind(L"\\\\.\\", 0) == 0)
        return full;
    if (full.rfind(L"\\\\", 0) == 0)
        return L"\\\\?\\UNC\\" + full.substr(2);
    return L"\\\\?\\" + full;
}

}  // namespace ssoescrow::platform::windows
