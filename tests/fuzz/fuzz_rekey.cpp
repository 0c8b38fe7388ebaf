// libFuzzer target: the rekey request, rekey approval, rekey proof, rekey manifest and
// awaiting-proof parsers (vault/FORMAT.md 4.10).
//
// Properties checked on every input:
// - parsing never crashes, hangs or allocates beyond the ceilings (ASan/UBSan);
// - the same with the checksum line recomputed, so mutations reach the field parsers;
// - canonical encoding: whatever any parser accepts serialises back to exactly the input.
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
    auto proof = rekey::parse_rekey_proof(as_bytes(text), "fuzz");
    if (proof.ok() && rekey::serialise_rekey_proof(proof.value()) != text)
        std::abort();
    auto awaiting = vault::parse_rekey_awaiting(text, "fuzz");
    if (awaiting.ok() && vault::serialise_rekey_awaiting(awaiting.value()) != text)
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
