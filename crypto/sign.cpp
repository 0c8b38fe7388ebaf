#include "crypto/sign.hpp"
#include "crypto/exchanged_text.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "crypto/custodian_key.hpp"
#include "crypto/hash.hpp"

namespace ssoescrow::crypto {
namespace {

static_assert(crypto_sign_PUBLICKEYBYTES == k_ed25519_public_key_size);
static_assert(crypto_sign_SECRETKEYBYTES == k_ed25519_secret_key_size);
static_assert(crypto_sign_SEEDBYTES == k_ed25519_seed_size);
static_assert(crypto_sign_BYTES == k_ed25519_signature_size);

constexpr std::string_view k_fingerprint_label = "ssoescrow/1 signer ed25519";
constexpr std::size_t k_base64_key_size = 44;  // base64 of 32 bytes, with one '=' of padding

std::string err_in(std::string_view source, std::string_view what) {
    return std::string(source) + ": " + std::string(what);
}

}  // namespace

// --- Ed25519 -----------------------------------------------------------------------------------

Ed25519KeyPair ed25519_generate() {
    Ed25519KeyPair pair;
    pair.secret_key = SecretBytes(k_ed25519_secret_key_size);
    crypto_sign_keypair(pair.public_key.data(), pair.secret_key.data());
    return pair;
}

Result<Ed25519KeyPair> ed25519_from_seed(const SecretBytes& seed) {
    if (seed.size() != k_ed25519_seed_size) {
        return make_error(Errc::internal, "ed25519 seed must be 32 bytes");
    }
    Ed25519KeyPair pair;
    pair.secret_key = SecretBytes(k_ed25519_secret_key_size);
    crypto_sign_seed_keypair(pair.public_key.data(), pair.secret_key.data(), seed.data());
    return pair;
}

Signature ed25519_sign(const SecretBytes& secret_key, ByteView message) {
    if (secret_key.size() != k_ed25519_secret_key_size) {
        throw std::logic_error("ed25519_sign: the secret key must be 64 bytes");
    }
    Signature signature{};
    crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                         secret_key.data());
    return signature;
}

bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature) noexcept {
    if (public_key.size() != k_ed25519_public_key_size ||
        signature.size() != k_ed25519_signature_size) {
        return false;
    }
    return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                       public_key.data()) == 0;
}

// --- Signer lines --------------------------------------------------------------------------

std::string signer_fingerprint_of(const SignerPublicKey& public_key) {
    return labelled_fingerprint(k_fingerprint_label, public_key);
}

std::string Signer::fingerprint() const {
    return signer_fingerprint_of(public_key);
}

std::string Signer::to_line() const {
    return std::string(k_signer_magic) + " ed25519 " + to_base64(public_key) + " " + fingerprint() +
           " " + label;
}

std::string Signer::describe() const {
    return "'" + label + "' (" + fingerprint() + ")";
}

Result<Signer> parse_signer(std::string_view text, std::string_view source) {
    if (!text.empty() && text.back() == '\n')
        text.remove_suffix(1);
    const std::string hint =
        "expected one line 'ssoescrow-signer/1 ed25519 KEY FINGERPRINT LABEL' as printed by "
        "'ssoescrow signer show' or written by 'ssoescrow signer keygen'";
    if (text.size() > 512 || text.find_first_of("\r\n") != std::string_view::npos) {
        return make_error(Errc::parse, err_in(source, "not a signer line"), hint);
    }
    auto next_word = [&text]() {
        auto space = text.find(' ');
        std::string_view word = text.substr(0, space);
        text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
        return word;
    };
    const std::string_view magic = next_word();
    constexpr std::string_view magic_prefix = "ssoescrow-signer/";
    if (magic.substr(0, magic_prefix.size()) != magic_prefix) {
        return make_error(Errc::parse, err_in(source, "not a signer line"), hint);
    }
    if (magic != k_signer_magic) {
        return make_error(Errc::unsupported_version,
                          err_in(source, "unsupported version " +
                                             std::string(magic.substr(magic_prefix.size(), 32))));
    }
    if (next_word() != "ed25519") {
        return make_error(Errc::parse, err_in(source, "unsupported signer type"), hint);
    }
    const std::string_view key_text = next_word();
    if (key_text.size() != k_base64_key_size || key_text[42] == '=' || key_text[43] != '=') {
        return make_error(Errc::parse, err_in(source, "public key has the wrong length"), hint);
    }
    TRY_ASSIGN(const Bytes key, from_base64(key_text, err_in(source, "public key")));
    Signer signer;
    if (key.size() != signer.public_key.size()) {
        return make_error(Errc::parse, err_in(source, "public key has the wrong length"), hint);
    }
    std::copy(key.begin(), key.end(), signer.public_key.begin());
    if (next_word() != signer.fingerprint()) {
        return make_error(Errc::parse, err_in(source, "fingerprint does not match the public key"),
                          "the line was altered in transit; ask for the signer line again");
    }
    if (auto label_ok = check_label(text); !label_ok) {
        return make_error(Errc::parse, err_in(source, label_ok.error().message));
    }
    signer.label = std::string(text);
    return signer;
}

bool verify_signature(const Signer& signer, ByteView message, ByteView signature) noexcept {
    return ed25519_verify(signer.public_key, message, signature);
}

// --- Signing keys --------------------------------------------------------------------------

Signature SigningKey::sign(ByteView message) const {
    return ed25519_sign(secret_key, message);
}

SigningKey generate_signing_key(std::string label) {
    Ed25519KeyPair pair = ed25519_generate();
    SigningKey key;
    key.signer.public_key = pair.public_key;
    key.signer.label = std::move(label);
    key.secret_key = std::move(pair.secret_key);
    return key;
}

SecretBytes serialise_signing_key(const SigningKey& key) {
    if (key.secret_key.size() != k_ed25519_secret_key_size) {
        throw std::logic_error("serialise_signing_key: no secret key");
    }
    const std::string head =
        std::string(k_signing_key_magic) + "\nsigner: " + key.signer.to_line() + "\nsecret: ";
    const std::size_t encoded_size =
        sodium_base64_encoded_len(k_ed25519_seed_size, sodium_base64_VARIANT_ORIGINAL);
    SecretBytes encoded(encoded_size);  // includes the terminating NUL
    sodium_bin2base64(reinterpret_cast<char*>(encoded.data()), encoded.size(),
                      key.secret_key.data(), k_ed25519_seed_size, sodium_base64_VARIANT_ORIGINAL);
    SecretBytes out(head.size() + encoded_size - 1 + 1);
    std::memcpy(out.data(), head.data(), head.size());
    std::memcpy(out.data() + head.size(), encoded.data(), encoded_size - 1);
    out[out.size() - 1] = '\n';
    return out;
}

Result<SigningKey> parse_signing_key(ByteView file, std::string_view source) {
    if (file.size() > k_max_signing_key_file_size) {
        return make_error(Errc::limit_exceeded, err_in(source, "too large for a signing key file"));
    }
    const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
    if (auto copied = strict_line_end_error(text, source, "signing key file"))
        return *copied;
    const std::string hint =
        "pass the key file written by 'ssoescrow signer keygen' (or the "
        "host's signing.key in its state directory)";
    constexpr std::string_view magic_prefix = "ssoescrow-signing-key/";
    if (text.substr(0, magic_prefix.size()) != magic_prefix) {
        return make_error(Errc::parse, err_in(source, "not an ssoescrow signing key file"), hint);
    }
    const std::size_t first_end = text.find('\n');
    if (first_end == std::string_view::npos) {
        return make_error(Errc::parse, err_in(source, "signing key file is truncated"), hint);
    }
    if (text.substr(0, first_end) != k_signing_key_magic) {
        return make_error(
            Errc::unsupported_version,
            err_in(source, "unsupported version " +
                               std::string(text.substr(
                                   magic_prefix.size(),
                                   std::min<std::size_t>(first_end - magic_prefix.size(), 32)))),
            "this key was written by a newer ssoescrow; upgrade");
    }
    std::string_view rest = text.substr(first_end + 1);
    constexpr std::string_view signer_key = "signer: ";
    const std::size_t signer_end = rest.find('\n');
    if (rest.substr(0, signer_key.size()) != signer_key || signer_end == std::string_view::npos) {
        return make_error(Errc::parse, err_in(source, "expected the 'signer:' line"), hint);
    }
    TRY_ASSIGN(
        Signer signer,
        parse_signer(rest.substr(signer_key.size(), signer_end - signer_key.size()), source));
    rest.remove_prefix(signer_end + 1);
    constexpr std::string_view secret_key = "secret: ";
    // Exactly "secret: " + 44 base64 characters + LF, and nothing after it.
    if (rest.size() != secret_key.size() + k_base64_key_size + 1 ||
        rest.substr(0, secret_key.size()) != secret_key || rest.back() != '\n') {
        return make_error(Errc::parse, err_in(source, "expected the 'secret:' line last"), hint);
    }
    const std::string_view encoded = rest.substr(secret_key.size(), k_base64_key_size);
    // sodium_base642bin runs without secret-dependent branches or table lookups.
    SecretBytes seed(k_ed25519_seed_size);
    std::size_t decoded = 0;
    const char* end = nullptr;
    if (sodium_base642bin(seed.data(), seed.size(), encoded.data(), encoded.size(), nullptr,
                          &decoded, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        decoded != k_ed25519_seed_size || end != encoded.data() + encoded.size()) {
        return make_error(Errc::parse, err_in(source, "the secret is not the base64 of 32 bytes"),
                          hint);
    }
    TRY_ASSIGN(Ed25519KeyPair pair, ed25519_from_seed(seed));
    if (sodium_memcmp(pair.public_key.data(), signer.public_key.data(), signer.public_key.size()) !=
        0) {
        return make_error(Errc::parse,
                          err_in(source, "the secret does not belong to the signer line's key"),
                          "the file is damaged or was edited; use the original file");
    }
    // One canonical spelling: the file must be exactly what serialise_signing_key writes.
    SigningKey key{std::move(signer), std::move(pair.secret_key)};
    const SecretBytes again = serialise_signing_key(key);
    if (!again.equals(file)) {
        return make_error(Errc::parse, err_in(source, "the signing key file is not canonical"),
                          hint);
    }
    return key;
}

}  // namespace ssoescrow::crypto
