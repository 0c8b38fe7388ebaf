// libFuzzer target: the key files people exchange and keep (vault/FORMAT.md 2.1, 2.2, 2.4):
// recipient lines, signer lines, identity files (the part read without the passphrase) and
// signing key files.
//
// Properties checked on every input:
// - parsing never crashes, hangs or allocates beyond the ceilings (ASan/UBSan);
// - an accepted recipient or signer line is canonical: to_line() plus the optional final newline
//   is exactly the input, and it parses again to the same key and label;
// - an accepted identity file names a recipient whose line parses again to the same key;
// - an accepted signing key file serialises back to exactly the input (its seed gives its key).
// The Argon2id opening of an identity is not fuzzed: its cost is the point, and its parameters
// are checked against the ceilings before it runs (covered by the unit tests).
// Seeds: tests/fuzz/corpus/fuzz_key_files/ (files written by `custodian keygen` and
// `signer keygen`).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/custodian_key.hpp"
#include "crypto/random.hpp"
#include "crypto/sign.hpp"

using namespace ssoescrow;

namespace {

bool is_line_of(std::string_view input, const std::string& line) {
    return input == line || input == line + "\n";
}

void check_recipient_line(std::string_view input) {
    auto recipient = crypto::parse_recipient(input, "fuzz");
    if (!recipient.ok())
        return;
    const std::string line = recipient->to_line();
    auto again = crypto::parse_recipient(line, "fuzz");
    if (!is_line_of(input, line) || !again.ok() || again->public_key != recipient->public_key ||
        again->label != recipient->label) {
        std::abort();
    }
}

void check_signer_line(std::string_view input) {
    auto signer = crypto::parse_signer(input, "fuzz");
    if (!signer.ok())
        return;
    const std::string line = signer->to_line();
    auto again = crypto::parse_signer(line, "fuzz");
    if (!is_line_of(input, line) || !again.ok() || again->public_key != signer->public_key ||
        again->label != signer->label) {
        std::abort();
    }
}

void check_identity_file(ByteView input) {
    auto recipient = crypto::identity_recipient(input, "fuzz");
    if (!recipient.ok())
        return;
    auto again = crypto::parse_recipient(recipient->to_line(), "fuzz");
    if (!again.ok() || again->public_key != recipient->public_key)
        std::abort();
}

void check_signing_key_file(ByteView input) {
    auto key = crypto::parse_signing_key(input, "fuzz");
    if (!key.ok())
        return;
    const crypto::SecretBytes again = crypto::serialise_signing_key(key.value());
    if (again.size() != input.size() || !std::equal(input.begin(), input.end(), again.data()))
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool initialised = crypto::initialize().ok();
    if (!initialised)
        std::abort();
    const ByteView input(data, size);
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_recipient_line(text);
    check_signer_line(text);
    check_identity_file(input);
    check_signing_key_file(input);
    return 0;
}
