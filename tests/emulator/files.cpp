#include "files.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "crypto/random.hpp"
#include "platform/path_text.hpp"

namespace ssoescrow::emulator {
namespace {

namespace fs = std::filesystem;
using platform::path_from_utf8;

constexpr auto k_owner_only = fs::perms::owner_read | fs::perms::owner_write;

// The reason a stream operation failed: the C library's errno where it set one.
std::string last_reason(int err) {
    return err != 0 ? std::string(std::strerror(err)) : std::string("input/output error");
}

Error file_error(const std::string& action, const std::string& path, const std::string& reason,
                 Errc code = Errc::io) {
    return make_error(code, action + " " + path + ": " + reason);
}

EntryKind kind_of(const fs::file_status& st) {
    switch (st.type()) {
        case fs::file_type::not_found:
            return EntryKind::missing;
        case fs::file_type::regular:
            return EntryKind::regular_file;
        case fs::file_type::directory:
            return EntryKind::directory;
        default:
            return EntryKind::other;
    }
}

// Writes `data` to a new or truncated file; the caller checked what was there.
Status write_stream(const fs::path& file, const std::string& shown, ByteView data) {
    errno = 0;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (!out)
        return file_error("cannot open", shown, last_reason(errno));
    std::error_code ec;
    // Owner-only before the data goes in (the umask decides the creation mode).
    fs::permissions(file, k_owner_only, fs::perm_options::replace, ec);
    if (ec)
        return file_error("cannot restrict access to", shown, ec.message());
    errno = 0;
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out)
        return file_error("cannot write", shown, last_reason(errno));
    errno = 0;
    out.close();
    if (out.fail())
        return file_error("cannot write", shown, last_reason(errno));
    return {};
}

}  // namespace

EntryKind entry_kind(const std::string& path) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(path_from_utf8(path), ec);
    if (ec && st.type() != fs::file_type::not_found)
        return EntryKind::other;
    return kind_of(st);
}

bool is_directory(const std::string& path) {
    std::error_code ec;
    return fs::is_directory(path_from_utf8(path), ec);
}

Result<crypto::SecretBytes> read_small_file(const std::string& path, std::size_t limit,
                                            FollowLinks follow) {
    const fs::path file = path_from_utf8(path);
    EntryKind kind = entry_kind(path);
    if (follow == FollowLinks::yes && kind == EntryKind::other) {
        std::error_code ec;
        kind = kind_of(fs::status(file, ec));
    }
    switch (kind) {
        case EntryKind::missing:
            return make_error(Errc::not_found, path + " does not exist");
        case EntryKind::regular_file:
            break;
        case EntryKind::directory:
            return file_error("cannot read", path, "a folder, not a file");
        case EntryKind::other:
            return file_error("cannot read", path, "not a regular file");
    }
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(file, ec);
    if (ec)
        return file_error("cannot read", path, ec.message());
    if (size > limit)
        return make_error(Errc::limit_exceeded, path + " is larger than expected");
    errno = 0;
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return file_error("cannot open", path, last_reason(errno));
    // One byte more than the limit, to notice a file that grew since its size was read.
    crypto::SecretBytes buf(limit + 1);
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
    if (in.bad())
        return file_error("cannot read", path, last_reason(errno));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n > limit)
        return make_error(Errc::limit_exceeded, path + " is larger than expected");
    buf.truncate(n);
    return buf;
}

Status replace_file(const std::string& path, ByteView data) {
    const std::string tmp = path + ".tmp-" + to_hex(crypto::random_bytes(8));
    const fs::path tmp_file = path_from_utf8(tmp);
    if (entry_kind(tmp) != EntryKind::missing)
        return file_error("cannot create", tmp, "the name is taken");
    Status written = write_stream(tmp_file, tmp, data);
    std::error_code ec;
    if (!written) {
        fs::remove(tmp_file, ec);
        return written;
    }
    // rename() replaces the name itself: a symbolic link at `path` is replaced, not followed.
    fs::rename(tmp_file, path_from_utf8(path), ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(tmp_file, ignored);
        return file_error("cannot rename into", path, ec.message());
    }
    return {};
}

Status overwrite_file(const std::string& path, ByteView data) {
    switch (entry_kind(path)) {
        case EntryKind::missing:
        case EntryKind::regular_file:
            break;
        case EntryKind::directory:
            return file_error("cannot open", path, "a folder, not a file");
        case EntryKind::other:
            return file_error("cannot open", path, "not a regular file (never followed)");
    }
    const fs::path file = path_from_utf8(path);
    Status written = write_stream(file, path, data);
    if (!written) {
        std::error_code ignored;
        fs::remove(file, ignored);
    }
    return written;
}

void append_text(const std::string& path, const std::string& text) noexcept {
    try {
        const EntryKind kind = entry_kind(path);
        if (kind != EntryKind::missing && kind != EntryKind::regular_file)
            return;
        const fs::path file = path_from_utf8(path);
        std::ofstream out(file, std::ios::binary | std::ios::app);
        if (!out)
            return;
        if (kind == EntryKind::missing) {
            std::error_code ignored;
            fs::permissions(file, k_owner_only, fs::perm_options::replace, ignored);
        }
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
    } catch (...) {
        // best effort
    }
}

Status make_private_directory(const std::string& path) {
    const fs::path dir = path_from_utf8(path);
    std::error_code ec;
    if (!fs::create_directory(dir, ec)) {
        if (ec)
            return file_error("cannot create folder", path, ec.message());
        return {};  // it exists already (a folder: create_directory fails otherwise)
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec)
        return file_error("cannot restrict access to", path, ec.message());
    return {};
}

}  // namespace ssoescrow::emulator
