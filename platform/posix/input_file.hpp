// What fstat says an opened input is, for platform::not_a_regular_file (platform/file_io.hpp).
// Internal to the POSIX implementation.
#pragma once

#include <sys/stat.h>

#include "platform/file_io.hpp"

namespace ssoescrow::platform::posix {

inline NotRegularFile not_regular_kind(mode_t mode) noexcept {
    if (S_ISDIR(mode))
        return NotRegularFile::directory;
    if (S_ISFIFO(mode))
        return NotRegularFile::fifo;
    if (S_ISSOCK(mode))
        return NotRegularFile::socket;
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return NotRegularFile::device;
    return NotRegularFile::other;
}

// Errc::io naming `file` unless `mode` (from fstat of the descriptor opened with O_NONBLOCK) is
// a regular file's.
inline Status require_regular_file(mode_t mode, const path& file) {
    if (S_ISREG(mode))
        return {};
    return not_a_regular_file(file, not_regular_kind(mode));
}

}  // namespace ssoescrow::platform::posix
