// libFuzzer target: the restore approval and request-key parsers (vault/FORMAT.md 4.9).
//
// Properties checked on every input:
// - parsing never crashes, hangs or allocates beyond the ceilings (ASan/UBSan);
// - the same with the checksum line recomputed, so mutations reach the field parsers;
// - canonical encoding: whatever parse_approval accepts serialises back to exactly the input's
//   canonical form (a byte order mark, CR LF and trailing blank lines undone: FORMAT.md 1),
//   with a non-zero x and a wrapped share of exactly 104 bytes;
// - the same for request keys (serialise(parse(x)) == x).
// Seeds: tests/fuzz/corpus/fuzz_approval/ (approvals written by the CLI test's setup).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "crypto/secret_bytes.hpp"
#include "src/restore/request.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace ssoescrow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool initialised = crypto::initialize().ok();
    if (!initialised)
        std::abort();
    const ByteView input(data, size);
    auto approval = restore::parse_approval(input, "fuzz");
    if (approval.ok()) {
        const std::string again = restore::serialise_approval(approval.value());
        if (again != fuzz::canonical(std::string_view(reinterpret_cast<const char*>(data), size)) ||
            approval->x == 0 || approval->wrapped.size() != vault::k_wrapped_share_size) {
            std::abort();
        }
    }
    {
        const std::string fixed =
            fuzz::with_valid_checksum(std::string_view(reinterpret_cast<const char*>(data), size));
        auto again = restore::parse_approval(as_bytes(fixed), "fuzz");
        if (again.ok() && restore::serialise_approval(again.value()) != fuzz::canonical(fixed))
            std::abort();
    }
    if (size <= restore::k_max_request_key_size) {
        const crypto::SecretBytes file = crypto::SecretBytes::copy_of(input);
        auto key = restore::parse_request_key(file, "fuzz");
        if (key.ok()) {
            const crypto::SecretBytes again =
                restore::serialise_request_key(key->request, key->public_key, key->secret_key);
            if (!again.equals(input))
                std::abort();
        }
    }
    return 0;
}
