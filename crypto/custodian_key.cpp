#include "crypto/custodian_key.hpp"
#include "crypto/exchanged_text.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "crypto/aead.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace ssoescrow::crypto {
namespace {

constexpr std::string_view k_fingerprint_label = "ssoescrow/1 recipient x25519";
constexpr std::size_t k_check_size = 16;
constexpr std::size_t k_checksum_size = 32;
constexpr std::size_t k_max_identity_file = 4096;
constexpr std::size_t k_base64_key_size = 44;  // base64 of 32 bytes

std::string err_in(std::string_view source, std::string_view what) {
    return std::string(source) + ": " + std::string(what);
}

// Splits text into lines on LF; the text must end with LF and contain no CR.
Result<std::vector<std::string_view>> split_lines(std::string_view text, std::string_view source) {
    if (text.empty() || text.back() != '\n') {
        return make_error(Errc::parse, err_in(source, "file does not end with a newline"),
                          "the file is truncated or was edited; use the original file");
    }
    if (text.find('\r') != std::string_view::npos) {
        return make_error(Errc::parse, err_in(source, "file contains CR characters"),
                          "the file was converted to Windows line endings; convert it back to LF");
    }
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

// "key: value" with exactly one space after the colon.
Result<std::string_view> field(std::string_view line, std::string_view key,
                               std::string_view source) {
    if (line.size() < key.size() + 2 || line.substr(0, key.size()) != key ||
        line.substr(key.size(), 2) != ": ") {
        return make_error(Errc::parse, err_in(source, "expected the field '" + std::string(key) +
                                                          "' at this position"));
    }
    return line.substr(key.size() + 2);
}

Result<std::uint64_t> parse_decimal(std::string_view text, std::string_view what) {
    std::uint64_t value = 0;
    bool canonical = !text.empty() && (text == "0" || text[0] != '0');
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!canonical || ec != std::errc() || end != text.data() + text.size()) {
        return make_error(Errc::parse, std::string(what) + ": not a canonical decimal number");
    }
    return value;
}

std::array<std::uint8_t, k_checksum_size> checksum_of(std::string_view covered) {
    std::array<std::uint8_t, k_checksum_size> digest{};
    crypto_generichash(digest.data(), digest.size(),
                       reinterpret_cast<const unsigned char*>(covered.data()), covered.size(),
                       nullptr, 0);
    return digest;
}

std::string kdf_line(const KdfParams& params, ByteView salt) {
    return "kdf: argon2id t=" + std::to_string(params.ops_limit) +
           " m=" + std::to_string(params.mem_limit_bytes) + " salt=" + to_base64(salt);
}

struct KdfLine {
    KdfParams params;
    Bytes salt;
};

Result<KdfLine> parse_kdf_line(std::string_view value, std::string_view source) {
    // value: "argon2id t=N m=N salt=B64"
    constexpr std::string_view prefix = "argon2id t=";
    if (value.substr(0, prefix.size()) != prefix) {
        return make_error(Errc::parse, err_in(source, "kdf: only argon2id is supported"));
    }
    value.remove_prefix(prefix.size());
    auto m_at = value.find(" m=");
    auto salt_at = value.find(" salt=");
    if (m_at == std::string_view::npos || salt_at == std::string_view::npos || salt_at < m_at) {
        return make_error(Errc::parse, err_in(source, "kdf: malformed parameters"));
    }
    KdfLine out;
    TRY_ASSIGN(out.params.ops_limit, parse_decimal(value.substr(0, m_at), err_in(source, "kdf t")));
    TRY_ASSIGN(out.params.mem_limit_bytes,
               parse_decimal(value.substr(m_at + 3, salt_at - m_at - 3), err_in(source, "kdf m")));
    TRY_ASSIGN(out.salt, from_base64(value.substr(salt_at + 6), err_in(source, "kdf salt")));
    if (out.salt.size() != k_argon2_salt_size) {
        return make_error(Errc::parse, err_in(source, "kdf salt: wrong length"));
    }
    if (auto checked = check_kdf_params(out.params); !checked) {
        return with_context(std::move(checked).error(), std::string(source));
    }
    return out;
}

struct ParsedIdentity {
    Recipient recipient;
    KdfLine kdf;
    Bytes check;
    Bytes sealed;                      // nonce || ciphertext || tag
    std::string_view associated_data;  // the lines the AEAD authenticates
};

Result<ParsedIdentity> parse_identity_file(ByteView file_bytes, std::string_view source) {
    if (file_bytes.size() > k_max_identity_file) {
        return make_error(Errc::limit_exceeded, err_in(source, "too large for an identity file"));
    }
    std::string_view text(reinterpret_cast<const char*>(file_bytes.data()), file_bytes.size());
    if (auto copied = strict_line_end_error(text, source, "identity file"))
        return *copied;
    if (text.find('\0') != std::string_view::npos) {
        return make_error(Errc::parse, err_in(source, "not an ssoescrow identity file"));
    }
    TRY_ASSIGN(auto lines, split_lines(text, source));

    constexpr std::string_view magic_prefix = "ssoescrow-identity/";
    if (lines[0].substr(0, magic_prefix.size()) != magic_prefix) {
        return make_error(Errc::parse, err_in(source, "not an ssoescrow identity file"),
                          "pass the NAME.key file written by 'ssoescrow custodian keygen'");
    }
    if (lines[0] != k_identity_magic) {
        return make_error(Errc::unsupported_version,
                          err_in(source, "unsupported version " +
                                             std::string(lines[0].substr(magic_prefix.size()))),
                          "this identity file was written by a newer ssoescrow; upgrade");
    }
    if (lines.size() != 6) {
        return make_error(
            Errc::parse, err_in(source, "expected 6 lines, found " + std::to_string(lines.size())));
    }

    // The checksum covers every byte before the checksum line. Checked before anything else is
    // interpreted, so damage reads "damaged", never "wrong passphrase".
    TRY_ASSIGN(auto checksum_hex, field(lines[5], "checksum", source));
    TRY_ASSIGN(auto checksum, from_hex(checksum_hex, err_in(source, "checksum")));
    std::size_t covered_size = static_cast<std::size_t>(lines[5].data() - text.data());
    auto expected = checksum_of(text.substr(0, covered_size));
    if (!constant_time_equal(checksum, expected)) {
        return make_error(Errc::auth_failed,
                          err_in(source, "identity file is damaged (checksum mismatch)"),
                          "restore the identity file from your own backup copy");
    }

    ParsedIdentity out;
    TRY_ASSIGN(auto recipient_text, field(lines[1], "recipient", source));
    TRY_ASSIGN(out.recipient, parse_recipient(recipient_text, source));
    TRY_ASSIGN(auto kdf_text, field(lines[2], "kdf", source));
    TRY_ASSIGN(out.kdf, parse_kdf_line(kdf_text, source));
    TRY_ASSIGN(auto check_text, field(lines[3], "check", source));
    TRY_ASSIGN(out.check, from_base64(check_text, err_in(source, "check")));
    TRY_ASSIGN(auto sealed_text, field(lines[4], "sealed", source));
    TRY_ASSIGN(out.sealed, from_base64(sealed_text, err_in(source, "sealed")));
    if (out.check.size() != k_check_size ||
        out.sealed.size() != k_aead_nonce_size + k_x25519_key_size + k_aead_tag_size) {
        return make_error(Errc::parse, err_in(source, "check or sealed key has the wrong length"));
    }
    std::size_t ad_size = static_cast<std::size_t>(lines[4].data() - text.data());
    out.associated_data = text.substr(0, ad_size);
    return out;
}

struct PassphraseKeys {
    SecretBytes seal_key;
    Bytes check;
};

Result<PassphraseKeys> passphrase_keys(const SecretBytes& passphrase, ByteView salt,
                                       const KdfParams& params) {
    TRY_ASSIGN(SecretBytes master, argon2id(passphrase, salt, params, 32));
    PassphraseKeys keys;
    keys.seal_key = derive_subkey(master, "identity-seal", k_aead_key_size);
    SecretBytes check = derive_subkey(master, "identity-check", k_check_size);
    keys.check.assign(check.data(), check.data() + check.size());  // public: stored in the file
    return keys;
}

}  // namespace

std::string fingerprint_of(const PublicKey& public_key) {
    return labelled_fingerprint(k_fingerprint_label, public_key);
}

std::string Recipient::fingerprint() const {
    return fingerprint_of(public_key);
}

std::string Recipient::to_line() const {
    return std::string(k_recipient_magic) + " " + type + " " + to_base64(public_key) + " " +
           fingerprint() + " " + label;
}

Status check_label(std::string_view label) {
    if (label.empty() || label.size() > k_max_label_size) {
        return make_error(Errc::invalid_argument,
                          "label must be 1 to " + std::to_string(k_max_label_size) + " bytes");
    }
    for (unsigned char c : label) {
        if (c < 0x20 || c == 0x7f) {
            return make_error(Errc::invalid_argument, "label contains a control character");
        }
    }
    if (label.front() == ' ' || label.back() == ' ') {
        return make_error(Errc::invalid_argument, "label must not start or end with a space");
    }
    return {};
}

Result<Recipient> parse_recipient(std::string_view text, std::string_view source) {
    if (!text.empty() && text.back() == '\n')
        text.remove_suffix(1);
    const std::string hint =
        "expected one line 'ssoescrow-recipient/1 x25519 KEY FINGERPRINT LABEL' "
        "as written to NAME.pub by 'ssoescrow custodian keygen'";
    if (text.size() > 512 || text.find_first_of("\r\n") != std::string_view::npos) {
        return make_error(Errc::parse, err_in(source, "not a recipient line"), hint);
    }
    auto next_word = [&text]() {
        auto space = text.find(' ');
        std::string_view word = text.substr(0, space);
        text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
        return word;
    };
    std::string_view magic = next_word();
    constexpr std::string_view magic_prefix = "ssoescrow-recipient/";
    if (magic.substr(0, magic_prefix.size()) != magic_prefix) {
        return make_error(Errc::parse, err_in(source, "not a recipient line"), hint);
    }
    if (magic != k_recipient_magic) {
        return make_error(Errc::unsupported_version,
                          err_in(source, "unsupported version " +
                                             std::string(magic.substr(magic_prefix.size()))));
    }
    Recipient recipient;
    std::string_view type = next_word();
    if (type != "x25519") {
        return make_error(Errc::parse,
                          err_in(source, "unsupported recipient type '" + std::string(type) + "'"));
    }
    std::string_view key_text = next_word();
    if (key_text.size() != k_base64_key_size) {
        return make_error(Errc::parse, err_in(source, "public key has the wrong length"), hint);
    }
    TRY_ASSIGN(Bytes key, from_base64(key_text, err_in(source, "public key")));
    if (key.size() != recipient.public_key.size()) {
        // 44 base64 characters without padding decode to 33 bytes: never copy more than 32.
        return make_error(Errc::parse, err_in(source, "public key has the wrong length"), hint);
    }
    std::copy(key.begin(), key.end(), recipient.public_key.begin());
    std::string_view fingerprint = next_word();
    if (fingerprint != recipient.fingerprint()) {
        return make_error(
            Errc::parse, err_in(source, "fingerprint does not match the public key"),
            "the line was altered in transit; ask the custodian to send NAME.pub again");
    }
    if (auto label_ok = check_label(text); !label_ok) {
        return make_error(Errc::parse, err_in(source, label_ok.error().message));
    }
    recipient.label = std::string(text);
    return recipient;
}

Identity generate_identity(std::string label) {
    KeyPair pair = generate_keypair();
    Identity identity;
    identity.recipient.public_key = pair.public_key;
    identity.recipient.label = std::move(label);
    identity.secret_key = std::move(pair.secret_key);
    return identity;
}

Result<Bytes> seal_identity(const Identity& identity, const SecretBytes& passphrase,
                            const KdfParams& params, KdfFloor floor) {
    if (passphrase.empty()) {
        return make_error(Errc::invalid_argument, "the passphrase is empty");
    }
    TRY(check_label(identity.recipient.label));
    TRY(check_kdf_params(params));
    if (floor == KdfFloor::enforce)
        TRY(check_kdf_floor(params));
    Bytes salt = random_bytes(k_argon2_salt_size);
    TRY_ASSIGN(PassphraseKeys keys, passphrase_keys(passphrase, salt, params));

    std::string header = std::string(k_identity_magic) + "\n" +
                         "recipient: " + identity.recipient.to_line() + "\n" +
                         kdf_line(params, salt) + "\n" + "check: " + to_base64(keys.check) + "\n";
    Bytes nonce = random_bytes(k_aead_nonce_size);
    TRY_ASSIGN(Bytes ciphertext,
               aead_seal(keys.seal_key, nonce, identity.secret_key.view(), as_bytes(header)));
    Bytes sealed = nonce;
    sealed.insert(sealed.end(), ciphertext.begin(), ciphertext.end());
    std::string text = header + "sealed: " + to_base64(sealed) + "\n";
    text += "checksum: " + to_hex(checksum_of(text)) + "\n";
    Bytes file = to_bytes(text);

    // Check our own output before anyone relies on it.
    TRY_ASSIGN(Identity reopened, open_identity(file, passphrase, "new identity file"));
    if (!reopened.secret_key.equals(identity.secret_key)) {
        return make_error(Errc::internal, "identity file did not round-trip");
    }
    return file;
}

Result<Identity> open_identity(ByteView file_bytes, const SecretBytes& passphrase,
                               std::string_view source) {
    TRY_ASSIGN(ParsedIdentity parsed, parse_identity_file(file_bytes, source));
    TRY_ASSIGN(PassphraseKeys keys,
               passphrase_keys(passphrase, parsed.kdf.salt, parsed.kdf.params));
    if (!constant_time_equal(keys.check, parsed.check)) {
        return make_error(Errc::wrong_passphrase, err_in(source, "wrong passphrase"),
                          "check the passphrase (a passphrase file's single trailing newline is "
                          "ignored, other whitespace is not)");
    }
    ByteView sealed(parsed.sealed);
    auto opened = aead_open(keys.seal_key, sealed.first(k_aead_nonce_size),
                            sealed.subspan(k_aead_nonce_size), as_bytes(parsed.associated_data));
    if (!opened) {
        return make_error(
            Errc::auth_failed,
            err_in(source, "identity file is damaged (sealed key does not authenticate)"),
            "restore the identity file from your own backup copy");
    }
    Identity identity;
    identity.secret_key = std::move(opened).value();
    TRY_ASSIGN(PublicKey derived, public_key_of(identity.secret_key));
    if (!constant_time_equal(derived, parsed.recipient.public_key)) {
        return make_error(
            Errc::auth_failed,
            err_in(source, "secret key does not belong to the recipient in the file"));
    }
    identity.recipient = std::move(parsed.recipient);
    identity.kdf = parsed.kdf.params;
    return identity;
}

Result<Recipient> identity_recipient(ByteView file_bytes, std::string_view source) {
    TRY_ASSIGN(ParsedIdentity parsed, parse_identity_file(file_bytes, source));
    return std::move(parsed.recipient);
}

}  // namespace ssoescrow::crypto
