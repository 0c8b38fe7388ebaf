// What an opened input handle is, for platform::not_a_regular_file (platform/file_io.hpp).
// Internal to the Windows implementation.
#pragma once

#include <windows.h>

#include "platform/file_io.hpp"

namespace ssoescrow::platform::windows {

// Errc::io naming `file` unless `handle` (opened with CreateFileW, which never waits) is a plain
// disk file: not a directory, and GetFileType == FILE_TYPE_DISK (a named pipe or a console is
// refused before anything is read).
inline Status require_disk_file(HANDLE handle, const BY_HANDLE_FILE_INFORMATION& info,
                                const path& file) {
    if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
        return not_a_regular_file(file, NotRegularFile::directory);
    switch (::GetFileType(handle)) {
        case FILE_TYPE_DISK:
            return {};
        case FILE_TYPE_PIPE:
            return not_a_regular_file(file, NotRegularFile::fifo);
        case FILE_TYPE_CHAR:
            return not_a_regular_file(file, NotRegularFile::device);
        default:
            return not_a_regular_file(file, NotRegularFile::other);
    }
}

}  // namespace ssoescrow::platform::windows
