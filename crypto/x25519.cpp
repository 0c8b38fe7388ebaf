#include "crypto/x25519.hpp"

#include <sodium.h>

#include <string>

#include "crypto/aead.hpp"
#include "crypto/kdf.hpp"
#include "crypto/random.hpp"

namespace ssoescrow::crypto {

static_assert(k_x25519_key_size == crypto_scalarmult_curve25519_BYTES);
static_assert(k_x25519_key_size == crypto_scalarmult_curve25519_SCALARBYTES);
static_assert(k_wrap_overhead == k_x25519_key_size + k_aead_nonce_size + k_aead_tag_size);

namespace {

constexpr std::string_view k_wrap_info = "ssoescrow/1 share-wrap";

Status check_scalar(const SecretBytes& scalar) {
    if (scalar.size() != k_x25519_key_size) {
        return make_error(Errc::invalid_argument,
                          "x25519 secret key is " + std::to_string(scalar.size()) +
                              " bytes, expected " + std::to_string(k_x25519_key_size));
    }
    return {};
}

// The share-wrapping key: HKDF-SHA256(ikm = shared, salt = E || R, info = "ssoescrow/1
// share-wrap").
Result<SecretBytes> wrap_key(const SecretBytes& shared, ByteView ephemeral_public,
                             const PublicKey& recipient) {
    Bytes salt;
    salt.reserve(2 * k_x25519_key_size);
    salt.insert(salt.end(), ephemeral_public.begin(), ephemeral_public.end());
    salt.insert(salt.end(), recipient.begin(), recipient.end());
    return hkdf_sha256(shared.view(), salt, as_bytes(k_wrap_info), k_aead_key_size);
}

}  // namespace

KeyPair generate_keypair() {
    KeyPair pair{SecretBytes::random(k_x25519_key_size), {}};
    // The base-point multiple of a clamped scalar is never zero, so this cannot fail.
    crypto_scalarmult_curve25519_base(pair.public_key.data(), pair.secret_key.data());
    return pair;
}

Result<PublicKey> public_key_of(const SecretBytes& secret_key) {
    TRY(check_scalar(secret_key));
    PublicKey public_key{};
    if (crypto_scalarmult_curve25519_base(public_key.data(), secret_key.data()) != 0) {
        return make_error(Errc::internal, "x25519 public key computation failed");
    }
    return public_key;
}

Result<SecretBytes> x25519(const SecretBytes& scalar, ByteView u_coordinate) {
    TRY(check_scalar(scalar));
    if (u_coordinate.size() != k_x25519_key_size) {
        return make_error(Errc::parse, "x25519 public key is " +
                                           std::to_string(u_coordinate.size()) +
                                           " bytes, expected " + std::to_string(k_x25519_key_size));
    }
    SecretBytes shared(k_x25519_key_size);
    // libsodium returns -1 when the result is all zero (a low-order u); check it ourselves too so
    // that the guarantee does not depend on the library version.
    const int rc = crypto_scalarmult_curve25519(shared.data(), scalar.data(), u_coordinate.data());
    if (rc != 0 || sodium_is_zero(shared.data(), shared.size()) == 1) {
        shared.reset();
        return make_error(Errc::auth_failed, "peer public key is of low order",
                          "the key is corrupt or was crafted; obtain the key again from a "
                          "trusted source");
    }
    return shared;
}

Result<Bytes> wrap_to_recipient(const PublicKey& recipient, ByteView secret, ByteView context) {
    KeyPair ephemeral = generate_keypair();
    auto shared = x25519(ephemeral.secret_key, recipient);
    if (!shared)
        return with_context(std::move(shared).error(), "wrapping to recipient");
    ephemeral.secret_key.reset();
    TRY_ASSIGN(SecretBytes key, wrap_key(*shared, ephemeral.public_key, recipient));
    shared->reset();

    Bytes nonce = random_bytes(k_aead_nonce_size);
    TRY_ASSIGN(Bytes sealed, aead_seal(key, nonce, secret, context));

    Bytes wrapped;
    wrapped.reserve(k_x25519_key_size + nonce.size() + sealed.size());
    wrapped.insert(wrapped.end(), ephemeral.public_key.begin(), ephemeral.public_key.end());
    wrapped.insert(wrapped.end(), nonce.begin(), nonce.end());
    wrapped.insert(wrapped.end(), sealed.begin(), sealed.end());
    return wrapped;
}

Result<SecretBytes> unwrap_with_identity(const SecretBytes& identity_secret_key,
                                         const PublicKey& identity_public_key, ByteView wrapped,
                                         ByteView context) {
    if (wrapped.size() < k_wrap_overhead) {
        return make_error(Errc::parse, "wrapped secret is " + std::to_string(wrapped.size()) +
                                           " bytes, shorter than the minimum of " +
                                           std::to_string(k_wrap_overhead));
    }
    TRY(check_scalar(identity_secret_key));
    const ByteView ephemeral_public = wrapped.subspan(0, k_x25519_key_size);
    const ByteView nonce = wrapped.subspan(k_x25519_key_size, k_aead_nonce_size);
    const ByteView sealed = wrapped.subspan(k_x25519_key_size + k_aead_nonce_size);

    auto shared = x25519(identity_secret_key, ephemeral_public);
    if (!shared) {
        return make_error(Errc::auth_failed, "wrapped secret did not authenticate",
                          "its ephemeral key is of low order: the data is corrupt or crafted");
    }
    TRY_ASSIGN(SecretBytes key, wrap_key(*shared, ephemeral_public, identity_public_key));
    shared->reset();

    auto opened = aead_open(key, nonce, sealed, context);
    if (!opened) {
        if (opened.error().code != Errc::auth_failed)
            return std::move(opened).error();
        return make_error(Errc::auth_failed, "wrapped secret did not authenticate",
                          "it was wrapped to another recipient or for another context, or it "
                          "was modified");
    }
    return opened;
}

}  // namespace ssoescrow::crypto
