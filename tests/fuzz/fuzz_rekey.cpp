// libFuzzer target: the rekey request, rekey approval and rekey manifest parsers (vault/FORMAT.md
// 4.10).
//
// Properties checked on every input:
// - parsing never crashes, hangs or allocates beyond the ceilings (ASan/UBSan);
// - the same with the checksum line recomputed, so mutations reach the field parsers;
// - canonical encoding: whatever either parser accepts serialises back to exactly the input.
// Seeds: tests/fuzz/corpus/fuzz_rekey/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/random.hpp"
#include "src/rekey/ceremony.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "vault/rekey_pending.hpp"

using namespace ssoescrow;

namespace {

void check_both(std::string_view text) {
    auto approval = rekey::parse_rekey_approval(as_bytes(text), "fuzz");
    if (approval.ok() && rekey::serialise_rekey_approval(approval.value()) != text)
        std::abort();
    auto request = rekey::parse_rekey_request(as_bytes(text), "fuzz");
    if (request.ok() && rekey::serialise_rekey_request(request.value()) != text)
        std::abort();
    auto manifest = vault::parse_rekey_manifest(text, "fuzz");
    if (manifest.ok() && vault::serialise_rekey_manifest(manifest.value()) != text)
        std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool initialised = crypto::initialize().ok();
    if (!initialised)
        std::abort();
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_both(input);
    check_both(fuzz::with_valid_checksum(input));
    return 0;
}
