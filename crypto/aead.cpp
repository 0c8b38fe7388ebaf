#include "crypto/aead.hpp"

#include <sodium.h>

#include <string>

namespace ssoescrow::crypto {

static_assert(k_aead_key_size == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(k_aead_nonce_size == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(k_aead_tag_size == crypto_aead_xchacha20poly1305_ietf_ABYTES);

namespace {

Status check_key_and_nonce(const SecretBytes& key, ByteView nonce) {
    if (key.size() != k_aead_key_size) {
        return make_error(Errc::internal, "aead key is " + std::to_string(key.size()) +
                                              " bytes, expected " +
                                              std::to_string(k_aead_key_size));
    }
    if (nonce.size() != k_aead_nonce_size) {
        return make_error(Errc::internal, "aead nonce is " + std::to_string(nonce.size()) +
                                              " bytes, expected " +
                                              std::to_string(k_aead_nonce_size));
    }
    return {};
}

}  // namespace

Result<Bytes> aead_seal(const SecretBytes& key, ByteView nonce, ByteView plaintext,
                        ByteView associated_data) {
    TRY(check_key_and_nonce(key, nonce));
    Bytes out(plaintext.size() + k_aead_tag_size);
    unsigned long long written = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(
            out.data(), &written, plaintext.data(), plaintext.size(), associated_data.data(),
            associated_data.size(), nullptr, nonce.data(), key.data()) != 0 ||
        written != out.size()) {
        return make_error(Errc::internal, "aead encryption failed");
    }
    return out;
}

Result<SecretBytes> aead_open(const SecretBytes& key, ByteView nonce, ByteView ciphertext,
                              ByteView associated_data) {
    TRY(check_key_and_nonce(key, nonce));
    if (ciphertext.size() < k_aead_tag_size) {
        // Too short to hold a tag: indistinguishable, for the caller, from a forged message.
        return make_error(Errc::auth_failed, "authentication failed",
                          "the ciphertext is shorter than its authentication tag");
    }
    SecretBytes plaintext(ciphertext.size() - k_aead_tag_size);
    unsigned long long written = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plaintext.data(), &written, nullptr, ciphertext.data(), ciphertext.size(),
            associated_data.data(), associated_data.size(), nonce.data(), key.data()) != 0) {
        plaintext.reset();  // nothing of it is released: wiped and freed here
        return make_error(Errc::auth_failed, "authentication failed");
    }
    if (written != plaintext.size()) {
        plaintext.reset();
        return make_error(Errc::internal, "aead decryption returned an unexpected length");
    }
    return plaintext;
}

}  // namespace ssoescrow::crypto
