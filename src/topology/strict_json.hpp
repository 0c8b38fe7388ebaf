// A strict JSON reader for documents that come from outside (inventories written by a collector on
// another machine, possibly edited by hand).
//
// nlohmann::json alone accepts duplicate object keys (it silently keeps the last one) and has no
// limits. This reader drives nlohmann's SAX parser in strict mode and builds the DOM itself, so it
// can refuse, before any rule sees the data:
//   - duplicate keys in one object (the error names the key and the path of the object);
//   - nesting deeper than `max_depth` objects/arrays;
//   - arrays with more than `max_array_items` elements, strings or keys over `max_string_bytes`;
//   - input over `max_input_bytes` (checked before parsing);
//   - invalid UTF-8, raw control characters (including NUL) in strings, trailing data after the
//     value, comments: all refused by the nlohmann lexer in strict mode;
//   - a document that starts with a UTF-16 byte-order mark (what Windows PowerShell's `>` writes),
//     with a hint to write UTF-8. A UTF-8 byte-order mark is skipped, as nlohmann does.
// Error messages name the path in the document (`cluster.nodes[3]`) and never echo raw input
// bytes: anything outside printable ASCII is shown as \xHH.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/result.hpp"

namespace ssoescrow::topology {

struct StrictJsonLimits {
    std::size_t max_input_bytes = 16u * 1024u * 1024u;
    std::size_t max_depth = 16;
    std::size_t max_array_items = 10000;
    std::size_t max_string_bytes = 64u * 1024u;
};

// Parses `text` as exactly one JSON value. Errors: Errc::parse (malformed, duplicate key) or
// Errc::limit_exceeded (a limit above), message without file name (callers add it).
Result<nlohmann::json> parse_strict_json(std::string_view text,
                                         const StrictJsonLimits& limits = {});

// Renders a path segment list the way error messages show it: `a.b[2].c`; the root is `(root)`.
std::string describe_json_path(std::string_view path);

// Printable-ASCII rendering of untrusted text for messages: other bytes become \xHH.
std::string printable(std::string_view text);

}  // namespace ssoescrow::topology
