// Files people exchange (recipient and signer lines, restore requests, approvals and receipts)
// travel by e-mail and through editors such as Notepad, which add a UTF-8 byte order mark, turn
// LF into CR LF and leave blank lines at the end. Their readers undo exactly that, here and
// nowhere else, before the strict parser sees the text (vault/FORMAT.md section 1): what is
// hashed, signed or bound is always the canonical LF form, so a CR LF copy of a request binds to
// the same digest as the original.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/result.hpp"

namespace ssoescrow::crypto {

// How many bytes to read at most for an exchanged file whose canonical form is at most
// `canonical_limit` bytes: every LF may have become CR LF, plus a byte order mark and a few blank
// lines. The parser checks the canonical limit on the normalised text.
constexpr std::size_t exchanged_file_read_limit(std::size_t canonical_limit) noexcept {
    return 2 * canonical_limit + 64;
}

// The canonical LF form of an exchanged text file: a leading UTF-8 byte order mark is dropped,
// every CR LF becomes LF, and trailing blank lines (empty or only spaces and tabs) are dropped.
// Nothing else changes: a lone CR, a missing final LF, a NUL or any other deviation is left for
// the strict parser to refuse. Text with nothing but blanks becomes empty.
std::string normalise_exchanged_text(std::string_view text);

// For formats that stay strict (identity, request key and signing key files, vault records): an
// Errc::parse error saying that `source` has Windows line ends (CR LF) or a byte order mark, when
// it has, so that the reader never reports such a file as a field error or another version.
// `kind` names the format ("identity file").
std::optional<Error> strict_line_end_error(std::string_view text, std::string_view source,
                                           std::string_view kind);

}  // namespace ssoescrow::crypto
