// Key derivation.
//
// - hkdf_sha256: RFC 5869 HKDF with SHA-256, built on libsodium's HMAC-SHA256 (the same code on
//   every system).
// - derive_subkey: every subkey in ssoescrow is HKDF-SHA256(ikm = key, salt = empty,
//   info = "ssoescrow/1 " + label), so keys for different purposes never coincide.
// - argon2id: passphrase -> key (libsodium crypto_pwhash, ALG_ARGON2ID13). Its parameters are
//   stored by the caller next to the salt; parameters read from a file are untrusted and must go
//   through check_kdf_params() first (scenario I10: a file cannot make us allocate 64 GiB).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/secret_bytes.hpp"

namespace ssoescrow::crypto {

// RFC 5869 limits: out_size 1..255*32, else Errc::invalid_argument (checked before deriving).
Result<SecretBytes> hkdf_sha256(ByteView input_key, ByteView salt, ByteView info,
                                std::size_t out_size);

// out_size must be 1..255*32 (callers pass constants); outside that it throws std::logic_error:
// a bug, not an input error.
SecretBytes derive_subkey(const SecretBytes& key, std::string_view label, std::size_t out_size);

inline constexpr std::size_t k_argon2_salt_size = 16;

struct KdfParams {
    std::uint64_t ops_limit = 0;        // Argon2 passes (t)
    std::uint64_t mem_limit_bytes = 0;  // Argon2 memory (m), in bytes

    // libsodium's named levels.
    static KdfParams interactive();  // 2 passes, 64 MiB
    static KdfParams moderate();     // 3 passes, 256 MiB (the keygen default)
    static KdfParams sensitive();    // 4 passes, 1 GiB
    // libsodium's minimum (1 pass, 8 KiB). Only for tests that must run the KDF thousands of
    // times; the command line never offers it.
    static KdfParams minimum_for_tests();

    friend bool operator==(const KdfParams&, const KdfParams&) = default;
};

// Ceilings for parameters read from untrusted input.
inline constexpr std::uint64_t k_kdf_max_ops = 16;
inline constexpr std::uint64_t k_kdf_max_mem_bytes = 4ull << 30;  // 4 GiB

// Errc::limit_exceeded above the ceiling, Errc::invalid_argument below libsodium's minimum.
Status check_kdf_params(const KdfParams& params);

// The floor for a file that protects a key with a passphrase: libsodium's interactive level
// (Argon2id OPSLIMIT_INTERACTIVE = 2 passes, MEMLIMIT_INTERACTIVE = 64 MiB). Below it a guess
// costs an attacker too little. Writers refuse it (check_kdf_floor, Errc::invalid_argument);
// readers accept it (files written before the floor, test vectors) and warn.
bool below_kdf_floor(const KdfParams& params) noexcept;
Status check_kdf_floor(const KdfParams& params);
std::string describe_kdf(const KdfParams& params);  // "t=2 m=64 MiB"

// Checks params, then derives out_size bytes. The salt must be k_argon2_salt_size bytes.
Result<SecretBytes> argon2id(const SecretBytes& passphrase, ByteView salt, const KdfParams& params,
                             std::size_t out_size);

}  // namespace ssoescrow::crypto
