// libFuzzer target for the lock-file parser (vault/lock.hpp): never crashes, and every accepted
// input is canonical (serialise(parse(x)) == x).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vault/lock.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    ssoescrow::Result<ssoescrow::vault::LockInfo> info =
        ssoescrow::vault::parse_lock(text, "fuzz.lock");
    if (info.ok() && ssoescrow::vault::serialise_lock(*info) != text)
        std::abort();
    return 0;
}
