// The emulator's file access, in portable C++ (std::filesystem and file streams) on top of
// platform/ for paths: UTF-8 names inside, the system's encoding at the boundary
// (platform::path_from_utf8), so that a state folder or a .bak path with non-ASCII characters
// works on Windows too.
//
// Why not platform/file_io.hpp: in test builds its durable writes carry ssoescrow's crash points
// and fault injection (SSOESCROW_TEST_CRASH_AT, SSOESCROW_TEST_FAULT), which a bridge child
// inherits with ssoescrow's environment. The emulator stands for ENTSSO, a program outside
// ssoescrow: it must not die at ssoescrow's crash points. Its files need atomic replacement (a
// temp file renamed over the old one) but not durability across power loss.
#pragma once

#include <cstddef>
#include <string>

#include "crypto/bytes.hpp"
#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::emulator {

// What is at `path`, without following a final symbolic link.
enum class EntryKind {
    missing,
    regular_file,
    directory,
    other,  // a symbolic link, FIFO, socket or device
};
EntryKind entry_kind(const std::string& path);

enum class FollowLinks {
    no,   // the emulator's own files: a symbolic link is refused
    yes,  // files named in requests: opened like any Windows program opens them
};

// Reads a regular file of at most `limit` bytes (Errc::limit_exceeded when larger). A missing
// file is Errc::not_found; a folder or other non-file (and with FollowLinks::no a symbolic link)
// is Errc::io, without opening it (a FIFO is never opened, so never blocks).
Result<crypto::SecretBytes> read_small_file(const std::string& path, std::size_t limit,
                                            FollowLinks follow = FollowLinks::no);

// Replaces `path` with `data`: a temp file with a random name in the same folder, owner-only,
// written and closed, then renamed over `path`. `path` is replaced, never followed, when it is a
// symbolic link. On failure the temp file is removed and `path` is untouched.
Status replace_file(const std::string& path, ByteView data);

// Creates or truncates the regular file `path` (owner-only) and writes `data`. A symbolic link,
// folder or other non-file at `path` is refused (Errc::io) without being followed or opened.
// On a write failure the file is removed.
Status overwrite_file(const std::string& path, ByteView data);

// Appends `text` to `path` (created owner-only when missing). Best effort: errors are ignored,
// as the Windows event log's are by ENTSSO.
void append_text(const std::string& path, const std::string& text) noexcept;

// Creates the folder `path` owner-only when it does not exist; an existing folder is kept.
Status make_private_directory(const std::string& path);

// Whether `path` is an existing folder (following a symbolic link).
bool is_directory(const std::string& path);

}  // namespace ssoescrow::emulator
