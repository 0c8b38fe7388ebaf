// libFuzzer target: the restore request parser (vault/FORMAT.md 4.9).
//
// Properties checked on every input:
// - parsing never crashes, hangs or allocates beyond the ceilings (ASan/UBSan, -rss_limit_mb);
// - the same with the checksum line recomputed, so mutations reach the field parsers;
// - canonical encoding: whatever parse_request accepts serialises back to exactly the input's
//   canonical form (a byte order mark, CR LF and trailing blank lines undone: FORMAT.md 1);
// - an accepted request is consistent: its backup id and header hash are the embedded header's.
// Seeds: tests/fuzz/corpus/fuzz_request/ (requests written by the CLI test's setup).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "src/restore/apply.hpp"
#include "src/restore/request.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace ssoescrow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool initialised = crypto::initialize().ok();
    if (!initialised)
        std::abort();
    const ByteView input(data, size);
    auto request = restore::parse_request(input, "fuzz");
    if (request.ok()) {
        const std::string again = restore::serialise_request(request.value());
        const std::string_view original(reinterpret_cast<const char*>(data), size);
        if (again != fuzz::canonical(original) || request->header.backup_id != request->backup_id ||
            crypto::sha256(as_bytes(request->envelope_header)) != request->header_sha256 ||
            request->expires <= request->created) {
            std::abort();
        }
    }
    {
        const std::string fixed =
            fuzz::with_valid_checksum(std::string_view(reinterpret_cast<const char*>(data), size));
        auto again = restore::parse_request(as_bytes(fixed), "fuzz");
        if (again.ok() && restore::serialise_request(again.value()) != fuzz::canonical(fixed))
            std::abort();
        auto receipt = restore::parse_receipt(as_bytes(fixed), "fuzz");
        if (receipt.ok() && restore::serialise_receipt(receipt.value()) != fuzz::canonical(fixed))
            std::abort();
    }
    // The same bytes as a receipt (the other text format of a restore).
    auto receipt = restore::parse_receipt(input, "fuzz");
    if (receipt.ok()) {
        const std::string again = restore::serialise_receipt(receipt.value());
        if (again != fuzz::canonical(std::string_view(reinterpret_cast<const char*>(data), size)))
            std::abort();
    }
    return 0;
}
