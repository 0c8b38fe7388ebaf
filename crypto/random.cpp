#include "crypto/random.hpp"

#include <sodium.h>

namespace ssoescrow::crypto {

Status initialize() {
    if (sodium_init() < 0) {
        return make_error(Errc::internal, "libsodium could not be initialised",
                          "check that the system random number generator is available");
    }
    return {};
}

void random_fill(std::span<std::uint8_t> out) noexcept {
    if (!out.empty()) randombytes_buf(out.data(), out.size());
}

Bytes random_bytes(std::size_t size) {
    Bytes out(size);
    random_fill(out);
    return out;
}

std::uint32_t random_uniform(std::uint32_t upper_bound) noexcept {
    return randombytes_uniform(upper_bound);
}

}  // namespace ssoescrow::crypto
