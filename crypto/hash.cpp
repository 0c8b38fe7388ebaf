#include "crypto/hash.hpp"

#include <sodium.h>

#include <stdexcept>

namespace ssoescrow::crypto {

Digest blake2b_256(std::initializer_list<ByteView> parts) noexcept {
    crypto_generichash_state state;
    crypto_generichash_init(&state, nullptr, 0, k_hash_size);
    for (ByteView part : parts) {
        crypto_generichash_update(&state, part.data(), part.size());
    }
    Digest digest{};
    crypto_generichash_final(&state, digest.data(), digest.size());
    sodium_memzero(&state, sizeof state);
    return digest;
}

Digest sha256(ByteView data) noexcept {
    Digest digest{};
    crypto_hash_sha256(digest.data(), data.data(), data.size());
    return digest;
}

Digest hmac_sha256(const SecretBytes& key, ByteView data) {
    static_assert(crypto_auth_hmacsha256_BYTES == k_hash_size);
    if (key.size() != crypto_auth_hmacsha256_KEYBYTES) {
        throw std::logic_error("hmac_sha256: key must be 32 bytes");
    }
    Digest mac{};
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key.data(), key.size());
    crypto_auth_hmacsha256_update(&state, data.data(), data.size());
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    return mac;
}

}  // namespace ssoescrow::crypto
