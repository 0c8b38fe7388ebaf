// The parts of platform/file_io.hpp that are the same on every system.
#include "platform/file_io.hpp"

#include "platform/path_text.hpp"

namespace ssoescrow::platform {

bool exists_no_follow(const path& file) {
    const Result<FileStatus> status = file_status(file);
    return status && status->kind != FileKind::missing;
}

Error not_a_regular_file(const path& file, NotRegularFile what) {
    const char* kind = "not a regular file";
    switch (what) {
        case NotRegularFile::directory:
            kind = "a directory";
            break;
        case NotRegularFile::fifo:
            kind = "a FIFO (named pipe)";
            break;
        case NotRegularFile::socket:
            kind = "a socket";
            break;
        case NotRegularFile::device:
            kind = "a device";
            break;
        case NotRegularFile::other:
            kind = "a special file";
            break;
    }
    return make_error(Errc::io, path_to_utf8(file) + " is " + kind + ", not a regular file",
                      "give the path of a regular file");
}

bool is_temp_name(std::string_view name) noexcept {
    return name.substr(0, k_temp_prefix.size()) == k_temp_prefix;
}

}  // namespace ssoescrow::platform
