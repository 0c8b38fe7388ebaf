#include "crypto/hash.hpp"

#include <sodium.h>

#include "crypto/declassify.hpp"

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

std::string labelled_fingerprint(std::string_view label, ByteView public_key) {
    constexpr std::size_t fingerprint_bytes = 16;
    const Digest digest = blake2b_256(
        {ByteView(reinterpret_cast<const std::uint8_t*>(label.data()), label.size()), public_key});
    const std::string hex = to_hex(ByteView(digest.data(), fingerprint_bytes));
    std::string grouped;
    for (std::size_t i = 0; i < hex.size(); i += 4) {
        if (i != 0)
            grouped += '-';
        grouped += hex.substr(i, 4);
    }
    return grouped;
}

Digest sha256(ByteView data) noexcept {
    Digest digest{};
    crypto_hash_sha256(digest.data(), data.data(), data.size());
    return digest;
}

Digest hmac_sha256(const SecretBytes& key, ByteView data) {
    static_assert(crypto_auth_hmacsha256_BYTES == k_hash_size);
    Digest mac{};
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key.data(), key.size());
    crypto_auth_hmacsha256_update(&state, data.data(), data.size());
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    return mac;
}

bool hmac_sha256_verify(const SecretBytes& key, ByteView data, ByteView tag) {
    if (tag.size() < 16 || tag.size() > k_hash_size)
        return false;
    Digest mac = hmac_sha256(key, data);
    const bool equal = declassify(sodium_memcmp(mac.data(), tag.data(), tag.size())) == 0;
    sodium_memzero(mac.data(), mac.size());
    return equal;
}

}  // namespace ssoescrow::crypto
