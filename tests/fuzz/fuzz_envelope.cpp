// libFuzzer target: the envelope header parser and the escrow-policy parser (vault/FORMAT.md 3).
//
// Properties checked on every input:
// - parsing never crashes, hangs or allocates beyond the ceilings (ASan/UBSan, -rss_limit_mb);
// - canonical encoding: whatever parse_envelope_header accepts re-serialises to exactly the header
//   bytes it read, and the header plus the declared payload is the whole input;
// - the same for escrow-policy blocks (serialise(parse(x)) == x).
// Seeds: tests/fuzz/corpus/fuzz_envelope/ (the test vectors, written by `unit_tests
// "[.generate]"`).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/random.hpp"
#include "vault/envelope.hpp"
#include "vault/policy.hpp"

using namespace ssoescrow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool initialised = crypto::initialize().ok();
    if (!initialised) {
        std::abort();
    }
    const ByteView input(data, size);

    auto header = vault::parse_envelope_header(input);
    if (header.ok()) {
        const std::string again = vault::serialise_envelope_header(header.value());
        const std::string_view original(reinterpret_cast<const char*>(data), header->header_size);
        if (again != original || header->header_size + header->payload_size != size ||
            header->stanzas.size() < header->threshold || header->threshold == 0) {
            std::abort();
        }
        if (vault::envelope_payload(header.value(), input).size() != header->payload_size) {
            std::abort();
        }
    }

    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto policy = vault::parse_policy(text, "fuzz");
    if (policy.ok()) {
        if (policy->serialise() != text || !policy->validate().ok()) {
            std::abort();
        }
    }
    return 0;
}
