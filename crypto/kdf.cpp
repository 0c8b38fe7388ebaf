#include "crypto/kdf.hpp"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace ssoescrow::crypto {

namespace {

constexpr std::size_t k_sha256_size = 32;
constexpr std::size_t k_hkdf_max_out = 255 * k_sha256_size;

// Everything HKDF computes from the input key: the HMAC state (which holds the hashed key pads),
// the pseudorandom key and the previous output block. It lives in one sodium_malloc'd buffer
// (SecretBytes) so that it is guarded, locked where the OS allows it, and wiped on every path;
// nothing derived from the key is left on the stack.
struct HkdfScratch {
    crypto_auth_hmacsha256_state hmac;
    std::uint8_t prk[k_sha256_size];
    std::uint8_t block[k_sha256_size];
};
static_assert(std::is_trivially_copyable_v<HkdfScratch>);
// sodium_malloc places the buffer at the end of a page: the start is suitably aligned only when
// the size is a multiple of the alignment.
static_assert(sizeof(HkdfScratch) % alignof(HkdfScratch) == 0);

// libsodium's HMAC-SHA256 functions always return 0; an empty message is simply not fed (no null
// pointer reaches libsodium).
void hmac_update(crypto_auth_hmacsha256_state& state, ByteView data) {
    if (!data.empty())
        crypto_auth_hmacsha256_update(&state, data.data(), data.size());
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
    // RFC 5869 2.2, extract: PRK = HMAC-SHA256(salt, IKM). An absent salt is HashLen zero bytes.
    SecretBytes scratch_memory(sizeof(HkdfScratch));
    auto* scratch = ::new (scratch_memory.data()) HkdfScratch{};
    static constexpr std::uint8_t zero_salt[k_sha256_size] = {};
    const ByteView salt_key = salt.empty() ? ByteView(zero_salt) : salt;
    crypto_auth_hmacsha256_init(&scratch->hmac, salt_key.data(), salt_key.size());
    hmac_update(scratch->hmac, input_key);
    crypto_auth_hmacsha256_final(&scratch->hmac, scratch->prk);

    // RFC 5869 2.3, expand: T(i) = HMAC-SHA256(PRK, T(i-1) | info | i), T(0) empty; the output
    // is the first out_size bytes of T(1) | T(2) | ... (at most 255 blocks, checked above).
    SecretBytes out(out_size);
    std::size_t done = 0;
    for (unsigned counter = 1; done < out_size; ++counter) {
        crypto_auth_hmacsha256_init(&scratch->hmac, scratch->prk, sizeof scratch->prk);
        if (counter > 1)
            hmac_update(scratch->hmac, ByteView(scratch->block));
        hmac_update(scratch->hmac, info);
        const std::uint8_t counter_byte = static_cast<std::uint8_t>(counter);
        hmac_update(scratch->hmac, ByteView(&counter_byte, 1));
        crypto_auth_hmacsha256_final(&scratch->hmac, scratch->block);
        const std::size_t take = std::min(k_sha256_size, out_size - done);
        std::memcpy(out.data() + done, scratch->block, take);
        done += take;
    }
    // scratch_memory's destructor wipes the PRK, the last block and the HMAC state.
    return out;
}

SecretBytes derive_subkey(const SecretBytes& key, std::string_view label, std::size_t out_size) {
    std::string info = "ssoescrow/1 ";
    info += label;
    auto derived = hkdf_sha256(key.view(), {}, as_bytes(info), out_size);
    if (!derived) {
        // Only reachable with an out_size outside 1..8160: a bug.
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

bool below_kdf_floor(const KdfParams& params) noexcept {
    const KdfParams floor = KdfParams::interactive();
    return params.ops_limit < floor.ops_limit || params.mem_limit_bytes < floor.mem_limit_bytes;
}

std::string describe_kdf(const KdfParams& params) {
    const std::uint64_t mib = params.mem_limit_bytes >> 20;
    const std::string memory = mib > 0 && params.mem_limit_bytes % (1u << 20) == 0
                                   ? std::to_string(mib) + " MiB"
                                   : std::to_string(params.mem_limit_bytes >> 10) + " KiB";
    return std::to_string(params.ops_limit) + " pass" + (params.ops_limit == 1 ? "" : "es") + ", " +
           memory;
}

Status check_kdf_floor(const KdfParams& params) {
    if (!below_kdf_floor(params))
        return {};
    return make_error(Errc::invalid_argument,
                      "argon2id cost " + describe_kdf(params) +
                          " is below the floor for a passphrase-sealed key (" +
                          describe_kdf(KdfParams::interactive()) +
                          ", libsodium's interactive level)",
                      "use --kdf-cost interactive, moderate (default) or sensitive");
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
