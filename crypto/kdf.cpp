#include "crypto/kdf.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sodium.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>

namespace ssoescrow::crypto {

namespace {

constexpr std::size_t k_sha256_size = 32;
constexpr std::size_t k_hkdf_max_out = 255 * k_sha256_size;

// OpenSSL's most recent error as text (never contains key material), and the queue cleared.
std::string openssl_error_text() {
    unsigned long code = ERR_get_error();
    std::string text = "unknown error";
    if (code != 0) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        text = buffer;
    }
    ERR_clear_error();
    return text;
}

struct KdfDeleter {
    void operator()(EVP_KDF* kdf) const noexcept { EVP_KDF_free(kdf); }
    void operator()(EVP_KDF_CTX* ctx) const noexcept { EVP_KDF_CTX_free(ctx); }
};

// OSSL_PARAM wants a non-const void*; OpenSSL only reads these buffers. An empty input gets a
// valid pointer so that OpenSSL never sees a null one.
void* param_data(ByteView data) {
    static std::uint8_t empty_marker = 0;
    if (data.empty())
        return &empty_marker;
    return const_cast<std::uint8_t*>(data.data());
}

std::string gib_or_bytes(std::uint64_t bytes) {
    if (bytes % (1ull << 30) == 0)
        return std::to_string(bytes >> 30) + " GiB";
    if (bytes % (1ull << 20) == 0)
        return std::to_string(bytes >> 20) + " MiB";
    if (bytes % (1ull << 10) == 0)
        return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

}  // namespace

Result<SecretBytes> hkdf_sha256(ByteView input_key, ByteView salt, ByteView info,
                                std::size_t out_size) {
    if (out_size == 0 || out_size > k_hkdf_max_out) {
        return make_error(Errc::invalid_argument, "hkdf-sha256 output size " +
                                                      std::to_string(out_size) + " is outside 1.." +
                                                      std::to_string(k_hkdf_max_out));
    }
    std::unique_ptr<EVP_KDF, KdfDeleter> kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr));
    if (!kdf) {
        return make_error(Errc::internal,
                          "openssl has no hkdf implementation: " + openssl_error_text(),
                          "check the OpenSSL 3 installation and its provider configuration");
    }
    std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx) {
        return make_error(Errc::internal,
                          "hkdf context allocation failed: " + openssl_error_text());
    }

    char digest_name[] = "SHA256";
    int mode = EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
    OSSL_PARAM params[6];
    std::size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0);
    params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, param_data(input_key),
                                                    input_key.size());
    // An absent salt is, per RFC 5869, HashLen zero bytes; OpenSSL does that when none is set.
    if (!salt.empty()) {
        params[n++] =
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, param_data(salt), salt.size());
    }
    if (!info.empty()) {
        params[n++] =
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, param_data(info), info.size());
    }
    params[n] = OSSL_PARAM_construct_end();

    SecretBytes out(out_size);
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
        out.reset();
        return make_error(Errc::internal, "hkdf-sha256 derivation failed: " + openssl_error_text());
    }
    return out;
}

SecretBytes derive_subkey(const SecretBytes& key, std::string_view label, std::size_t out_size) {
    std::string info = "ssoescrow/1 ";
    info += label;
    auto derived = hkdf_sha256(key.view(), {}, as_bytes(info), out_size);
    if (!derived) {
        // Only reachable with an out_size outside 1..8160 or a broken OpenSSL: a bug.
        throw std::logic_error("derive_subkey(" + std::string(label) +
                               "): " + derived.error().message);
    }
    return std::move(derived).value();
}

KdfParams KdfParams::interactive() {
    return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
            crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

KdfParams KdfParams::moderate() {
    return {crypto_pwhash_argon2id_OPSLIMIT_MODERATE, crypto_pwhash_argon2id_MEMLIMIT_MODERATE};
}

KdfParams KdfParams::sensitive() {
    return {crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE, crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE};
}

KdfParams KdfParams::minimum_for_tests() {
    return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

Status check_kdf_params(const KdfParams& params) {
    if (params.ops_limit > k_kdf_max_ops) {
        return make_error(Errc::limit_exceeded,
                          "argon2id pass count " + std::to_string(params.ops_limit) +
                              " exceeds the ceiling of " + std::to_string(k_kdf_max_ops),
                          "the file was not written by ssoescrow with sane settings, or it was "
                          "altered; do not use it");
    }
    if (params.mem_limit_bytes > k_kdf_max_mem_bytes) {
        return make_error(Errc::limit_exceeded,
                          "argon2id memory " + gib_or_bytes(params.mem_limit_bytes) +
                              " exceeds the ceiling of " + gib_or_bytes(k_kdf_max_mem_bytes),
                          "the file was not written by ssoescrow with sane settings, or it was "
                          "altered; do not use it");
    }
    if (params.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN) {
        return make_error(Errc::invalid_argument,
                          "argon2id pass count " + std::to_string(params.ops_limit) +
                              " is below the minimum of " +
                              std::to_string(crypto_pwhash_argon2id_OPSLIMIT_MIN));
    }
    if (params.mem_limit_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN) {
        return make_error(Errc::invalid_argument,
                          "argon2id memory " + gib_or_bytes(params.mem_limit_bytes) +
                              " is below the minimum of " +
                              gib_or_bytes(crypto_pwhash_argon2id_MEMLIMIT_MIN));
    }
    return {};
}

Result<SecretBytes> argon2id(const SecretBytes& passphrase, ByteView salt, const KdfParams& params,
                             std::size_t out_size) {
    TRY(check_kdf_params(params));
    if (salt.size() != k_argon2_salt_size) {
        return make_error(Errc::invalid_argument,
                          "argon2id salt is " + std::to_string(salt.size()) + " bytes, expected " +
                              std::to_string(k_argon2_salt_size));
    }
    static_assert(k_argon2_salt_size == crypto_pwhash_argon2id_SALTBYTES);
    if (out_size < crypto_pwhash_argon2id_BYTES_MIN || out_size > k_hkdf_max_out) {
        return make_error(Errc::invalid_argument,
                          "argon2id output size " + std::to_string(out_size) + " is outside " +
                              std::to_string(crypto_pwhash_argon2id_BYTES_MIN) + ".." +
                              std::to_string(k_hkdf_max_out));
    }
    static std::uint8_t empty_marker = 0;
    const char* passwd = passphrase.empty() ? reinterpret_cast<const char*>(&empty_marker)
                                            : reinterpret_cast<const char*>(passphrase.data());

    SecretBytes out(out_size);
    errno = 0;
    if (crypto_pwhash(out.data(), out.size(), passwd, passphrase.size(), salt.data(),
                      params.ops_limit, static_cast<std::size_t>(params.mem_limit_bytes),
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        const int saved_errno = errno;
        out.reset();
        if (saved_errno == ENOMEM || saved_errno == 0) {
            return make_error(Errc::limit_exceeded,
                              "argon2id could not allocate " +
                                  gib_or_bytes(params.mem_limit_bytes) + " of memory",
                              "free memory or raise the process memory limit (ulimit -v, "
                              "container limits), then retry");
        }
        return make_error(Errc::internal,
                          "argon2id derivation failed (errno " + std::to_string(saved_errno) + ")");
    }
    return out;
}

}  // namespace ssoescrow::crypto
