// Files people exchange are read as their canonical LF form whatever Notepad or a mail program did
// to them (CR LF, a byte order mark, blank lines at the end); strict formats say exactly why a
// copy is refused.
#include <catch2/catch.hpp>

#include <string>

#include "crypto/exchanged_text.hpp"

using namespace ssoescrow;
using crypto::normalise_exchanged_text;

TEST_CASE("exchanged text: CR LF, byte order mark and trailing blank lines are undone",
          "[crypto]") {
    const std::string canonical = "line one\nline two\n";
    CHECK(normalise_exchanged_text(canonical) == canonical);
    CHECK(normalise_exchanged_text("line one\r\nline two\r\n") == canonical);
    CHECK(normalise_exchanged_text("\xEF\xBB\xBFline one\r\nline two\r\n") == canonical);
    CHECK(normalise_exchanged_text("line one\nline two\n\n\n") == canonical);
    CHECK(normalise_exchanged_text("line one\r\nline two\r\n\r\n \t\r\n  ") == canonical);
    CHECK(normalise_exchanged_text("\xEF\xBB\xBF"
                                   "line one\nline two\n \n") == canonical);
    CHECK(normalise_exchanged_text("") == "");
    CHECK(normalise_exchanged_text("\r\n\r\n") == "");
}

TEST_CASE("exchanged text: nothing else changes, so the strict parser still refuses it",
          "[crypto]") {
    // A lone CR, a missing final LF (a truncated file), blank lines inside and NUL stay.
    CHECK(normalise_exchanged_text("a\rb\n") == "a\rb\n");
    CHECK(normalise_exchanged_text("a\nb") == "a\nb");
    CHECK(normalise_exchanged_text("a\n\nb\n") == "a\n\nb\n");
    CHECK(normalise_exchanged_text(std::string("a\0b\n", 4)) == std::string("a\0b\n", 4));
    CHECK(normalise_exchanged_text("a  \n") == "a  \n");
    // A byte order mark only at the start.
    CHECK(normalise_exchanged_text("a\n\xEF\xBB\xBF\n") == "a\n\xEF\xBB\xBF\n");
    // The read limit leaves room for every LF to have become CR LF.
    CHECK(crypto::exchanged_file_read_limit(100) >= 200 + 3);
}

TEST_CASE("strict formats name Windows line ends and a byte order mark", "[crypto]") {
    CHECK_FALSE(crypto::strict_line_end_error("a\nb\n", "alice.key", "identity file"));
    const auto crlf = crypto::strict_line_end_error("a\r\nb\r\n", "alice.key", "identity file");
    REQUIRE(crlf);
    CHECK(crlf->code == Errc::parse);
    CHECK(crlf->message == "alice.key: identity file: the file has Windows line ends (CR LF)");
    CHECK_THAT(crlf->hint, Catch::Contains("use the original file"));
    const auto bom = crypto::strict_line_end_error(
        "\xEF\xBB\xBF"
        "a\n",
        "alice.key", "identity file");
    REQUIRE(bom);
    CHECK_THAT(bom->message, Catch::Contains("byte order mark"));
}
