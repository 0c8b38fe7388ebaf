#include "vault/envelope.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "crypto/aead.hpp"
#include "crypto/hash.hpp"
#include "crypto/kdf.hpp"
#include "crypto/random.hpp"
#include "crypto/x25519.hpp"
#include "vault/envelope_text.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::vault {
namespace {

using crypto::SecretBytes;
using envelope_text::LineReader;

constexpr std::string_view k_envelope_magic_prefix = "ssoescrow-envelope/";
constexpr std::string_view k_commitment_label = "ssoescrow/1 share-commitment";
constexpr std::string_view k_share_context_label = "ssoescrow/1 envelope-share";
constexpr std::string_view k_mac_label = "header-mac";
constexpr std::string_view k_payload_label = "payload";
constexpr std::string_view k_payload_algorithm = "xchacha20poly1305";
constexpr std::string_view k_recipient_type = "x25519";
constexpr std::size_t k_wrapped_share_base64_size = 140;
constexpr std::string_view k_signature_label = "ssoescrow/2 envelope-signature";
constexpr std::string_view k_signature_algorithm = "ed25519";
constexpr std::size_t k_min_payload_plaintext_size = 4 + 1 + 4 + 1 + 4 + 0 + 32;
constexpr std::size_t k_min_payload_size = k_min_payload_plaintext_size + crypto::k_aead_tag_size;
constexpr std::size_t k_file_key_size = crypto::shamir::k_secret_size;

static_assert(k_wrapped_share_size == crypto::k_wrap_overhead + crypto::shamir::k_secret_size);
static_assert(k_payload_nonce_size == crypto::k_aead_nonce_size);

std::string_view as_text(ByteView bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool is_lower_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string hex_byte(std::uint8_t value) {
    return to_hex(ByteView(&value, 1));
}

std::string stanza_name(const EnvelopeHeader& header, const Stanza& stanza) {
    auto index = static_cast<std::size_t>(&stanza - header.stanzas.data()) + 1;
    return "stanza " + std::to_string(index) + " (" + stanza.describe() + ")";
}

std::string backup_name(const EnvelopeHeader& header) {
    return "backup " + backup_id_hex(header.backup_id);
}

// Every header line before "mac: ...".
std::string serialise_header_body(const EnvelopeHeader& header) {
    auto line = [](std::string_view key, std::string_view value) {
        std::string out(key);
        out += ':';
        if (!value.empty()) {
            out += ' ';
            out += value;
        }
        out += '\n';
        return out;
    };
    std::string text = std::string(k_envelope_magic) + "\n";
    text += line("vault", header.vault_id_hex());
    text += line("backup", backup_id_hex(header.backup_id));
    text += line("created", envelope_text::format_utc(header.created));
    text += line("computer", header.source.computer);
    text += line("secret-server", header.source.secret_server);
    text += line("current-msid", header.source.current_msid);
    text += line("previous-msid", header.source.previous_msid);
    text += line("label", header.source.label);
    text += line("policy", header.policy_fingerprint);
    text += line("signer", std::string(k_signature_algorithm) + " " + header.signer_fingerprint +
                               " " + to_base64(header.signer_key));
    text += line("threshold", std::to_string(header.threshold));
    text += line("shares", std::to_string(header.stanzas.size()));
    for (const auto& stanza : header.stanzas) {
        text += line("share", stanza.type + " " + stanza.recipient_fingerprint + " " +
                                  hex_byte(stanza.x) + " " + to_hex(stanza.commitment) + " " +
                                  to_base64(stanza.wrapped_share) + " " + stanza.label);
    }
    text += line("payload", std::string(k_payload_algorithm) + " " + to_hex(header.payload_nonce) +
                                " " + std::to_string(header.payload_size));
    return text;
}

template <std::size_t N>
Status parse_fixed_hex(std::string_view text, std::array<std::uint8_t, N>& out,
                       std::string_view what) {
    if (text.size() != 2 * N || !is_lower_hex(text)) {
        return make_error(Errc::parse, std::string(what) + ": expected " + std::to_string(2 * N) +
                                           " lower-case hex digits");
    }
    TRY_ASSIGN(Bytes bytes, from_hex(text, what));
    std::copy(bytes.begin(), bytes.end(), out.begin());
    return {};
}

// Converts an error from a value parser into one naming the header line.
Error at_line(const LineReader& reader, std::string_view what, Error error) {
    return reader.error(error.code, what, error.message, std::move(error.hint));
}

Result<Stanza> parse_stanza_line(std::string_view value, const LineReader& reader,
                                 std::string_view what) {
    // <type> <fingerprint> <x> <commitment> <wrapped> <label>
    std::array<std::string_view, 5> words;
    std::string_view rest = value;
    for (auto& word : words) {
        std::size_t space = rest.find(' ');
        if (space == std::string_view::npos) {
            return reader.error(Errc::parse, what,
                                "expected '<type> <fingerprint> <x> <commitment> <wrapped share> "
                                "<label>'");
        }
        word = rest.substr(0, space);
        rest.remove_prefix(space + 1);
    }
    Stanza stanza;
    if (words[0] != k_recipient_type) {
        return reader.error(
            Errc::parse, what,
            "unsupported recipient type '" + std::string(words[0].substr(0, 32)) + "'",
            "this envelope was written by a newer ssoescrow; upgrade");
    }
    stanza.type = std::string(words[0]);
    if (!is_fingerprint_text(words[1])) {
        return reader.error(Errc::parse, what, "malformed recipient fingerprint");
    }
    stanza.recipient_fingerprint = std::string(words[1]);
    std::array<std::uint8_t, 1> x{};
    if (auto parsed = parse_fixed_hex(words[2], x, "x"); !parsed) {
        return at_line(reader, what, std::move(parsed).error());
    }
    if (x[0] == 0) {
        return reader.error(Errc::share_x_zero, what, "x = 00, which no valid share has");
    }
    stanza.x = x[0];
    if (auto parsed = parse_fixed_hex(words[3], stanza.commitment, "commitment"); !parsed) {
        return at_line(reader, what, std::move(parsed).error());
    }
    if (words[4].size() != k_wrapped_share_base64_size) {
        return reader.error(Errc::parse, what, "wrapped share: wrong length");
    }
    auto wrapped = from_base64(words[4], "wrapped share");
    if (!wrapped) {
        return at_line(reader, what, std::move(wrapped).error());
    }
    if (wrapped->size() != k_wrapped_share_size) {
        return reader.error(Errc::parse, what, "wrapped share: wrong length");
    }
    stanza.wrapped_share = std::move(wrapped).value();
    if (auto label = crypto::check_label(rest); !label) {
        return reader.error(Errc::parse, what, "custodian label: " + label.error().message);
    }
    stanza.label = std::string(rest);
    return stanza;
}

// Bundle plaintext: u32le |bak| || bak || u32le |password| || password || u32le |reminder| ||
// reminder || SHA-256(bak).
SecretBytes encode_bundle(const Bundle& bundle) {
    const std::size_t size = 4 + bundle.bak.size() + 4 + bundle.password.size() + 4 +
                             bundle.reminder.size() + bundle.bak_sha256.size();
    SecretBytes out(size);
    std::size_t at = 0;
    auto put = [&](ByteView data) {
        const auto n = static_cast<std::uint32_t>(data.size());
        for (int i = 0; i < 4; ++i) {
            out[at++] = static_cast<std::uint8_t>(n >> (8 * i));
        }
        if (!data.empty()) {
            std::memcpy(out.data() + at, data.data(), data.size());
        }
        at += data.size();
    };
    put(bundle.bak.view());
    put(bundle.password.view());
    put(as_bytes(bundle.reminder));
    std::memcpy(out.data() + at, bundle.bak_sha256.data(), bundle.bak_sha256.size());
    return out;
}

Result<Bundle> decode_bundle(const SecretBytes& plaintext, const EnvelopeHeader& header) {
    const std::string what = backup_name(header) + ": payload bundle";
    ByteView rest = plaintext.view();
    auto take = [&](std::size_t ceiling, std::string_view field) -> Result<ByteView> {
        if (rest.size() < 4) {
            return make_error(Errc::parse,
                              what + ": truncated before the " + std::string(field) + " length");
        }
        std::size_t n = 0;
        for (int i = 3; i >= 0; --i) {
            n = (n << 8) | rest[static_cast<std::size_t>(i)];
        }
        rest = rest.subspan(4);
        if (n > ceiling) {
            return make_error(Errc::limit_exceeded, what + ": " + std::string(field) +
                                                        " length above the ceiling of " +
                                                        std::to_string(ceiling) + " bytes");
        }
        if (n > rest.size()) {
            return make_error(Errc::parse, what + ": " + std::string(field) + " is truncated");
        }
        ByteView out = rest.first(n);
        rest = rest.subspan(n);
        return out;
    };
    Bundle bundle;
    TRY_ASSIGN(ByteView bak, take(k_max_bak_size, ".bak"));
    bundle.bak = SecretBytes::copy_of(bak);
    TRY_ASSIGN(ByteView password, take(k_max_password_size, "password"));
    bundle.password = SecretBytes::copy_of(password);
    TRY_ASSIGN(ByteView reminder, take(k_max_reminder_size, "reminder"));
    bundle.reminder = std::string(as_text(reminder));
    if (rest.size() != bundle.bak_sha256.size()) {
        return make_error(Errc::parse, what + ": wrong size after the reminder");
    }
    std::copy(rest.begin(), rest.end(), bundle.bak_sha256.begin());
    if (!crypto::constant_time_equal(crypto::sha256(bundle.bak.view()), bundle.bak_sha256)) {
        return make_error(Errc::auth_failed,
                          what + ": the .bak does not match its SHA-256 in the bundle",
                          "the backup was damaged before it was sealed; use another backup");
    }
    if (auto valid = bundle.validate(); !valid) {
        // Well-formed but breaking a rule: only a buggy or hostile sealer writes that.
        return make_error(Errc::parse, what + ": " + valid.error().message);
    }
    return bundle;
}

Status check_bundle_equal(const Bundle& a, const Bundle& b) {
    if (!a.bak.equals(b.bak) || !a.password.equals(b.password) || a.reminder != b.reminder ||
        !crypto::constant_time_equal(a.bak_sha256, b.bak_sha256)) {
        return make_error(Errc::internal,
                          "the sealed envelope did not open to the same bundle (self-check)");
    }
    return {};
}

Result<std::vector<crypto::shamir::Share>> make_shares(const SecretBytes& file_key,
                                                       unsigned threshold, unsigned count) {
    if (threshold >= crypto::shamir::k_min_threshold) {
        // Each stanza wraps its own share: copied out of the split's single buffer.
        TRY_ASSIGN(const crypto::shamir::ShareSet split,
                   crypto::shamir::split(file_key, threshold, count));
        return split.to_shares();
    }
    // K = 1: a polynomial of degree 0, every share's y is the file key itself. x is still random,
    // distinct and non-zero so stanzas look the same whatever K is.
    std::vector<crypto::shamir::Share> shares;
    std::array<bool, 256> used{};
    used[0] = true;
    while (shares.size() < count) {
        auto x = static_cast<std::uint8_t>(crypto::random_uniform(255) + 1);
        if (used[x]) {
            continue;
        }
        used[x] = true;
        shares.push_back(crypto::shamir::Share{x, file_key.clone()});
    }
    return shares;
}

}  // namespace

// --- Identifiers ---------------------------------------------------------------------------

std::string backup_id_hex(const BackupId& id) {
    return to_hex(id);
}

Result<BackupId> parse_backup_id(std::string_view hex) {
    BackupId id{};
    if (hex.size() != 2 * k_backup_id_size || !is_lower_hex(hex)) {
        return make_error(Errc::parse, "backup id '" + std::string(hex.substr(0, 64)) +
                                           "': expected 32 lower-case hex digits");
    }
    TRY(parse_fixed_hex(hex, id, "backup id"));
    return id;
}

std::string envelope_file_name(const BackupId& id) {
    return backup_id_hex(id) + std::string(k_envelope_file_suffix);
}

std::string Stanza::describe() const {
    return "custodian '" + label + "' (" + recipient_fingerprint + ")";
}

// --- Validation ----------------------------------------------------------------------------

Status SourceInfo::validate() const {
    using envelope_text::check_text;
    TRY(check_text(computer, k_max_source_field_size, false, "source computer"));
    TRY(check_text(secret_server, k_max_source_field_size, false, "source secret server"));
    TRY(check_text(current_msid, k_max_source_field_size, false, "source current MSID"));
    TRY(check_text(previous_msid, k_max_source_field_size, true, "source previous MSID"));
    TRY(check_text(label, k_max_source_field_size, true, "backup label"));
    return {};
}

Status Bundle::validate() const {
    if (bak.empty()) {
        return make_error(Errc::invalid_argument, "the .bak is empty");
    }
    if (bak.size() > k_max_bak_size) {
        return make_error(Errc::limit_exceeded,
                          "the .bak is " + std::to_string(bak.size()) + " bytes, more than the " +
                              std::to_string(k_max_bak_size) + " an envelope holds");
    }
    if (password.empty()) {
        return make_error(Errc::invalid_argument, "the .bak password is empty");
    }
    if (password.size() > k_max_password_size) {
        return make_error(Errc::limit_exceeded, "the .bak password is longer than " +
                                                    std::to_string(k_max_password_size) + " bytes");
    }
    if (reminder.size() > k_max_reminder_size) {
        return make_error(Errc::limit_exceeded, "the password reminder is longer than " +
                                                    std::to_string(k_max_reminder_size) + " bytes");
    }
    for (unsigned char c : reminder) {
        if (c < 0x20 || c == 0x7f) {
            return make_error(Errc::invalid_argument,
                              "the password reminder contains a control character");
        }
    }
    if (!crypto::constant_time_equal(crypto::sha256(bak.view()), bak_sha256)) {
        return make_error(Errc::invalid_argument, "the .bak does not match its SHA-256");
    }
    return {};
}

// --- Header encoding -----------------------------------------------------------------------

std::string EnvelopeHeader::vault_id_hex() const {
    return to_hex(vault_id);
}

namespace {

// Through the mac line: what the MAC follows, what the signature and the payload's AEAD cover.
std::string serialise_signed_part(const EnvelopeHeader& header) {
    return serialise_header_body(header) + "mac: " + to_hex(header.mac) + "\n";
}

std::string signature_line(const EnvelopeHeader& header) {
    return "signature: " + std::string(k_signature_algorithm) + " " +
           to_hex(header.payload_sha256) + " " + to_base64(header.signature) + "\n";
}

Bytes signature_message(ByteView signed_part, ByteView payload_sha256) {
    Bytes message = to_bytes(k_signature_label);
    message.push_back(0);
    message.insert(message.end(), signed_part.begin(), signed_part.end());
    message.insert(message.end(), payload_sha256.begin(), payload_sha256.end());
    return message;
}

}  // namespace

std::string serialise_envelope_header(const EnvelopeHeader& header) {
    return serialise_signed_part(header) + signature_line(header);
}

Result<EnvelopeHeader> parse_envelope_header(ByteView file) {
    if (file.size() > k_max_header_size + k_max_payload_size) {
        return make_error(
            Errc::limit_exceeded,
            "envelope is " + std::to_string(file.size()) + " bytes, larger than any valid envelope",
            "this is not an ssoescrow envelope, or it is damaged");
    }
    const std::string_view text = as_text(file);
    LineReader reader(text, "envelope header", k_max_header_line_size);
    EnvelopeHeader header;

    // Version first: a newer file gets "unsupported version N", whatever follows.
    {
        TRY_ASSIGN(std::string_view magic, reader.next_line("version"));
        if (magic != k_envelope_magic) {
            if (magic.substr(0, k_envelope_magic_prefix.size()) == k_envelope_magic_prefix) {
                return reader.error(
                    Errc::unsupported_version, "version",
                    "unsupported version " +
                        std::string(magic.substr(k_envelope_magic_prefix.size()).substr(0, 32)),
                    "this envelope was written by a newer ssoescrow; upgrade to read it");
            }
            return reader.error(Errc::parse, "version", "not an ssoescrow envelope");
        }
    }

    // Each value parser reports "<field>: problem"; at_line() prefixes the line.
    auto field = [&](std::string_view key, bool allow_empty = false) {
        return reader.field(key, allow_empty);
    };
    {
        TRY_ASSIGN(std::string_view value, field("vault"));
        if (auto parsed = parse_fixed_hex(value, header.vault_id, "vault id"); !parsed) {
            return at_line(reader, "vault", std::move(parsed).error());
        }
    }
    {
        TRY_ASSIGN(std::string_view value, field("backup"));
        auto id = parse_backup_id(value);
        if (!id) {
            return at_line(reader, "backup", std::move(id).error());
        }
        header.backup_id = id.value();
    }
    {
        TRY_ASSIGN(std::string_view value, field("created"));
        auto created = envelope_text::parse_utc(value, "created");
        if (!created) {
            return at_line(reader, "created", std::move(created).error());
        }
        header.created = created.value();
    }
    struct TextField {
        std::string_view key;
        std::string* target;
        bool allow_empty;
    };
    const std::array<TextField, 5> text_fields = {{
        {"computer", &header.source.computer, false},
        {"secret-server", &header.source.secret_server, false},
        {"current-msid", &header.source.current_msid, false},
        {"previous-msid", &header.source.previous_msid, true},
        {"label", &header.source.label, true},
    }};
    for (const auto& text_field : text_fields) {
        TRY_ASSIGN(std::string_view value, field(text_field.key, text_field.allow_empty));
        auto checked = envelope_text::check_text(value, k_max_source_field_size,
                                                 text_field.allow_empty, text_field.key);
        if (!checked) {
            return reader.error(Errc::parse, text_field.key, checked.error().message);
        }
        *text_field.target = std::string(value);
    }
    {
        TRY_ASSIGN(std::string_view value, field("policy"));
        if (!check_policy_fingerprint(value)) {
            return reader.error(Errc::parse, "policy", "expected 'sha256:' and 64 hex digits");
        }
        header.policy_fingerprint = std::string(value);
    }
    {
        // ed25519 <fingerprint> <base64 of 32 bytes>
        TRY_ASSIGN(std::string_view value, field("signer"));
        const std::size_t first = value.find(' ');
        const std::size_t second =
            first == std::string_view::npos ? first : value.find(' ', first + 1);
        if (second == std::string_view::npos || value.substr(0, first) != k_signature_algorithm) {
            return reader.error(Errc::parse, "signer",
                                "expected 'ed25519 <fingerprint> <public key>'");
        }
        const std::string_view fingerprint = value.substr(first + 1, second - first - 1);
        const std::string_view key_text = value.substr(second + 1);
        if (key_text.size() != 44 || key_text[42] == '=' || key_text[43] != '=') {
            return reader.error(Errc::parse, "signer", "public key: wrong length");
        }
        auto key = from_base64(key_text, "signer public key");
        if (!key || key->size() != header.signer_key.size()) {
            return reader.error(Errc::parse, "signer", "public key: not the base64 of 32 bytes");
        }
        std::copy(key->begin(), key->end(), header.signer_key.begin());
        header.signer_fingerprint = crypto::signer_fingerprint_of(header.signer_key);
        if (fingerprint != header.signer_fingerprint) {
            return reader.error(Errc::parse, "signer",
                                "the fingerprint does not match the public key");
        }
    }
    {
        TRY_ASSIGN(std::string_view value, field("threshold"));
        auto threshold = envelope_text::parse_decimal(value, k_max_recipients, "threshold");
        if (!threshold) {
            return at_line(reader, "threshold", std::move(threshold).error());
        }
        if (threshold.value() == 0) {
            return reader.error(Errc::parse, "threshold", "threshold 0");
        }
        header.threshold = static_cast<unsigned>(threshold.value());
    }
    std::size_t share_count = 0;
    {
        TRY_ASSIGN(std::string_view value, field("shares"));
        auto count = envelope_text::parse_decimal(value, k_max_recipients, "shares");
        if (!count) {
            return at_line(reader, "shares", std::move(count).error());
        }
        if (count.value() < header.threshold) {
            return reader.error(Errc::parse, "shares",
                                std::to_string(count.value()) + " shares but threshold " +
                                    std::to_string(header.threshold) +
                                    ": the envelope could never be opened");
        }
        share_count = count.value();
    }
    header.stanzas.reserve(share_count);
    std::array<bool, 256> x_used{};
    for (std::size_t i = 0; i < share_count; ++i) {
        const std::string what = "stanza " + std::to_string(i + 1);
        auto value = field("share");
        if (!value) {
            Error error = std::move(value).error();
            error.message += " (" + what + " of " + std::to_string(share_count) + ")";
            return error;
        }
        TRY_ASSIGN(Stanza stanza, parse_stanza_line(value.value(), reader, what));
        if (x_used[stanza.x]) {
            return reader.error(Errc::share_duplicate, what,
                                "x = " + hex_byte(stanza.x) + " appears in an earlier stanza");
        }
        x_used[stanza.x] = true;
        if (!header.stanzas.empty() &&
            !(header.stanzas.back().recipient_fingerprint < stanza.recipient_fingerprint)) {
            return reader.error(
                Errc::parse, what,
                header.stanzas.back().recipient_fingerprint == stanza.recipient_fingerprint
                    ? "custodian " + stanza.recipient_fingerprint + " has two stanzas"
                    : "stanzas are not in ascending fingerprint order");
        }
        header.stanzas.push_back(std::move(stanza));
    }
    {
        TRY_ASSIGN(std::string_view value, field("payload"));
        // xchacha20poly1305 <48 hex> <size>
        std::size_t first = value.find(' ');
        std::size_t second = first == std::string_view::npos ? first : value.find(' ', first + 1);
        if (second == std::string_view::npos) {
            return reader.error(
                Errc::parse, "payload",
                "expected '" + std::string(k_payload_algorithm) + " <nonce> <size>'");
        }
        if (value.substr(0, first) != k_payload_algorithm) {
            return reader.error(Errc::parse, "payload",
                                "unsupported payload algorithm '" +
                                    std::string(value.substr(0, std::min<std::size_t>(first, 32))) +
                                    "'");
        }
        auto nonce = parse_fixed_hex(value.substr(first + 1, second - first - 1),
                                     header.payload_nonce, "payload nonce");
        if (!nonce) {
            return at_line(reader, "payload", std::move(nonce).error());
        }
        auto size = envelope_text::parse_decimal(value.substr(second + 1), k_max_payload_size,
                                                 "payload size");
        if (!size) {
            return at_line(reader, "payload", std::move(size).error());
        }
        if (size.value() < k_min_payload_size) {
            return reader.error(Errc::parse, "payload",
                                "payload size " + std::to_string(size.value()) +
                                    " is smaller than any valid payload");
        }
        header.payload_size = size.value();
    }
    {
        TRY_ASSIGN(std::string_view value, field("mac"));
        auto mac = parse_fixed_hex(value, header.mac, "mac");
        if (!mac) {
            return at_line(reader, "mac", std::move(mac).error());
        }
    }
    header.signed_size = reader.offset();
    {
        // ed25519 <payload SHA-256, 64 hex> <signature, base64 of 64 bytes>
        TRY_ASSIGN(std::string_view value, field("signature"));
        const std::size_t first = value.find(' ');
        const std::size_t second =
            first == std::string_view::npos ? first : value.find(' ', first + 1);
        if (second == std::string_view::npos || value.substr(0, first) != k_signature_algorithm) {
            return reader.error(Errc::parse, "signature",
                                "expected 'ed25519 <payload sha256> <signature>'");
        }
        if (auto parsed = parse_fixed_hex(value.substr(first + 1, second - first - 1),
                                          header.payload_sha256, "payload sha256");
            !parsed) {
            return at_line(reader, "signature", std::move(parsed).error());
        }
        const std::string_view signature_text = value.substr(second + 1);
        if (signature_text.size() != 88 || signature_text[85] == '=' ||
            signature_text.substr(86) != "==") {
            return reader.error(Errc::parse, "signature", "signature: wrong length");
        }
        auto signature = from_base64(signature_text, "signature");
        if (!signature || signature->size() != header.signature.size()) {
            return reader.error(Errc::parse, "signature", "not the base64 of 64 bytes");
        }
        std::copy(signature->begin(), signature->end(), header.signature.begin());
    }
    header.header_size = reader.offset();

    const std::size_t payload_present = file.size() - header.header_size;
    if (payload_present < header.payload_size) {
        return make_error(Errc::parse,
                          "envelope truncated: the payload has " + std::to_string(payload_present) +
                              " of its " + std::to_string(header.payload_size) + " bytes",
                          "the file was cut short; use an intact copy of this backup");
    }
    if (payload_present > header.payload_size) {
        return make_error(Errc::parse, "envelope has " +
                                           std::to_string(payload_present - header.payload_size) +
                                           " bytes of unexpected data after the payload");
    }
    return header;
}

ByteView envelope_payload(const EnvelopeHeader& header, ByteView file) {
    return file.subspan(header.header_size, header.payload_size);
}

// --- Shares --------------------------------------------------------------------------------

Bytes share_wrap_context(const EnvelopeHeader& header, const Stanza& stanza) {
    Bytes context = to_bytes(k_share_context_label);
    context.push_back(0);
    context.push_back(static_cast<std::uint8_t>(header.version));
    context.insert(context.end(), header.backup_id.begin(), header.backup_id.end());
    context.push_back(static_cast<std::uint8_t>(header.threshold));
    context.push_back(stanza.x);
    const Bytes fingerprint = to_bytes(stanza.recipient_fingerprint);
    context.insert(context.end(), fingerprint.begin(), fingerprint.end());
    return context;
}

Commitment share_commitment(const BackupId& backup_id, unsigned threshold, std::uint8_t x,
                            const SecretBytes& y) {
    const std::array<std::uint8_t, 2> k_and_x = {static_cast<std::uint8_t>(threshold), x};
    return crypto::blake2b_256({as_bytes(k_commitment_label), backup_id, k_and_x, y.view()});
}

Result<const Stanza*> find_stanza(const EnvelopeHeader& header, std::string_view fingerprint) {
    for (const auto& stanza : header.stanzas) {
        if (stanza.recipient_fingerprint == fingerprint) {
            return &stanza;
        }
    }
    return make_error(Errc::not_found,
                      backup_name(header) + " has no stanza for custodian " +
                          std::string(fingerprint.substr(0, 64)),
                      "this custodian is not one of those the backup was sealed to");
}

Status check_custodian_share(const EnvelopeHeader& header, const CustodianShare& share) {
    auto found = find_stanza(header, share.recipient_fingerprint);
    if (!found) {
        return make_error(Errc::share_mismatch,
                          "a share from custodian " + share.recipient_fingerprint.substr(0, 64) +
                              ", who has no stanza in " + backup_name(header),
                          "the share belongs to another backup or vault");
    }
    const Stanza& stanza = *found.value();
    if (share.share.x != stanza.x) {
        return make_error(Errc::share_mismatch,
                          "the share of " + stanza_name(header, stanza) + " has x = " +
                              hex_byte(share.share.x) + ", its stanza in " + backup_name(header) +
                              " has x = " + hex_byte(stanza.x) + ": a share of another backup",
                          "use the share unwrapped from this backup's own envelope");
    }
    if (share.share.y.size() != crypto::shamir::k_secret_size) {
        return make_error(Errc::share_length, "the share of " + stanza_name(header, stanza) +
                                                  " is " + std::to_string(share.share.y.size()) +
                                                  " bytes, not 32");
    }
    const Commitment expected =
        share_commitment(header.backup_id, header.threshold, share.share.x, share.share.y);
    if (!crypto::constant_time_equal(expected, stanza.commitment)) {
        return make_error(Errc::share_mismatch,
                          "the share of " + stanza_name(header, stanza) +
                              " does not match its commitment in " + backup_name(header) +
                              ": a share of another backup, or a damaged share or stanza",
                          "ask this custodian to open the share again from this backup");
    }
    return {};
}

Result<CustodianShare> open_stanza(const EnvelopeHeader& header, const crypto::Identity& identity) {
    const std::string fingerprint = identity.recipient.fingerprint();
    auto found = find_stanza(header, fingerprint);
    if (!found) {
        return make_error(Errc::not_found,
                          backup_name(header) + " has no stanza for custodian '" +
                              identity.recipient.label + "' (" + fingerprint + ")",
                          "this identity is not one of the custodians the backup was sealed to");
    }
    const Stanza& stanza = *found.value();
    auto y = crypto::unwrap_with_identity(identity.secret_key, identity.recipient.public_key,
                                          stanza.wrapped_share, share_wrap_context(header, stanza));
    if (!y) {
        return make_error(Errc::auth_failed,
                          stanza_name(header, stanza) + " of " + backup_name(header) +
                              ": the wrapped share does not open with this identity: the stanza "
                              "is damaged, or was moved from another backup or custodian",
                          "use an intact copy of the envelope");
    }
    CustodianShare share{fingerprint, crypto::shamir::Share{stanza.x, std::move(y).value()}};
    TRY(check_custodian_share(header, share));
    return share;
}

// --- Opening -------------------------------------------------------------------------------

Result<Bundle> combine_and_open(ByteView envelope_file, std::span<const CustodianShare> shares) {
    TRY_ASSIGN(EnvelopeHeader header, parse_envelope_header(envelope_file));

    std::vector<bool> used(header.stanzas.size(), false);
    std::vector<crypto::shamir::Share> valid;
    valid.reserve(shares.size());
    for (const CustodianShare& share : shares) {
        TRY(check_custodian_share(header, share));
        const Stanza& stanza = *find_stanza(header, share.recipient_fingerprint).value();
        auto index = static_cast<std::size_t>(&stanza - header.stanzas.data());
        if (used[index]) {
            return make_error(Errc::share_duplicate,
                              stanza_name(header, stanza) + " supplied more than one share",
                              "each custodian's share counts once; ask another custodian");
        }
        used[index] = true;
        valid.push_back(crypto::shamir::Share{share.share.x, share.share.y.clone()});
    }
    if (valid.size() < header.threshold) {
        return make_error(Errc::too_few_shares,
                          backup_name(header) + ": need " + std::to_string(header.threshold) +
                              (header.threshold == 1 ? " share" : " shares") + ", have " +
                              std::to_string(valid.size()),
                          "ask more custodians to open their shares");
    }

    SecretBytes file_key;
    if (header.threshold == 1) {
        file_key = valid.front().y.clone();
    } else {
        auto combined = crypto::shamir::combine(valid, header.threshold);
        if (!combined) {
            return with_context(std::move(combined).error(), backup_name(header));
        }
        file_key = std::move(combined).value();
    }
    valid.clear();

    // The MAC proves the combined key and authenticates every header byte before the mac line.
    const SecretBytes mac_key = crypto::derive_subkey(file_key, k_mac_label, 32);
    const ByteView mac_input = envelope_file.first(header.signed_size - k_mac_line_size);
    if (!crypto::hmac_sha256_verify(mac_key, mac_input, header.mac)) {
        return make_error(Errc::auth_failed,
                          backup_name(header) +
                              ": header MAC does not verify: the envelope header was altered "
                              "after sealing (or a stanza was replaced)",
                          "use an intact copy of this envelope");
    }

    const SecretBytes payload_key =
        crypto::derive_subkey(file_key, k_payload_label, crypto::k_aead_key_size);
    auto plaintext = crypto::aead_open(payload_key, header.payload_nonce,
                                       envelope_payload(header, envelope_file),
                                       envelope_file.first(header.signed_size));
    if (!plaintext) {
        return make_error(Errc::auth_failed,
                          backup_name(header) +
                              ": payload authentication failed: the encrypted payload is damaged",
                          "use an intact copy of this envelope");
    }
    return decode_bundle(plaintext.value(), header);
}

Status check_envelope_signature(const EnvelopeHeader& header, ByteView file) {
    const crypto::Digest payload_sha256 = crypto::sha256(envelope_payload(header, file));
    if (!std::equal(payload_sha256.begin(), payload_sha256.end(), header.payload_sha256.begin())) {
        return make_error(
            Errc::auth_failed,
            backup_name(header) + ": the payload is not the one its signature covers (altered)",
            "use an intact copy of this envelope");
    }
    return check_envelope_header_signature(header, file.first(header.header_size));
}

Status check_envelope_header_signature(const EnvelopeHeader& header, ByteView header_bytes) {
    if (header_bytes.size() < header.signed_size) {
        return make_error(Errc::internal, "check_envelope_header_signature: short header");
    }
    const Bytes message =
        signature_message(header_bytes.first(header.signed_size), header.payload_sha256);
    if (!crypto::ed25519_verify(header.signer_key, message, header.signature)) {
        return make_error(Errc::auth_failed,
                          backup_name(header) + ": the signature of signer " +
                              header.signer_fingerprint +
                              " does not verify (the envelope was altered after it was signed, or "
                              "the signature was forged)",
                          "use an intact copy of this envelope");
    }
    return {};
}

Status check_envelope_policy(const EnvelopeHeader& header, const EscrowPolicy& policy) {
    TRY_ASSIGN(EscrowPolicy sorted, policy.normalised());
    const std::string expected = sorted.fingerprint();
    if (header.policy_fingerprint != expected) {
        return make_error(Errc::policy_mismatch, backup_name(header) + " was sealed to policy " +
                                                     header.policy_fingerprint +
                                                     ", not to the vault's policy " + expected);
    }
    const crypto::Signer* signer = sorted.find_signer(header.signer_fingerprint);
    if (signer == nullptr || signer->public_key != header.signer_key) {
        return make_error(Errc::policy_mismatch,
                          backup_name(header) + " is signed by " + header.signer_fingerprint +
                              ", which is not a signer of policy " + expected);
    }
    // The fingerprint matched; the stanzas must agree with it (the header is not authenticated
    // without keys, so check rather than trust).
    if (header.threshold != sorted.threshold || header.stanzas.size() != sorted.recipients.size()) {
        return make_error(Errc::policy_mismatch,
                          backup_name(header) + " records policy " + expected + " but has " +
                              std::to_string(header.threshold) + " of " +
                              std::to_string(header.stanzas.size()) + " stanzas, the policy " +
                              std::to_string(sorted.threshold) + " of " +
                              std::to_string(sorted.recipients.size()));
    }
    for (std::size_t i = 0; i < header.stanzas.size(); ++i) {
        const Stanza& stanza = header.stanzas[i];
        const crypto::Recipient& recipient = sorted.recipients[i];
        if (stanza.recipient_fingerprint != recipient.fingerprint() ||
            stanza.label != recipient.label || stanza.type != recipient.type) {
            return make_error(Errc::policy_mismatch,
                              stanza_name(header, stanza) + " of " + backup_name(header) +
                                  " is not the policy's recipient '" + recipient.label + "' (" +
                                  recipient.fingerprint() + ")");
        }
    }
    return {};
}

// --- Sealing -------------------------------------------------------------------------------

Result<Bytes> seal_envelope(const EscrowPolicy& policy, const SealContext& context,
                            const SourceInfo& source, const Bundle& bundle, std::int64_t created) {
    return seal_envelope(policy, context, source, bundle, created, new_backup_id());
}

BackupId new_backup_id() {
    BackupId id{};
    crypto::random_fill(id);
    return id;
}

Result<Bytes> seal_envelope(const EscrowPolicy& policy, const SealContext& context,
                            const SourceInfo& source, const Bundle& bundle, std::int64_t created,
                            const BackupId& backup_id) {
    TRY_ASSIGN(EscrowPolicy sorted, policy.normalised());
    if (context.signer == nullptr) {
        return make_error(Errc::internal, "seal_envelope: no signing key");
    }
    const crypto::Signer& signer = context.signer->signer;
    const crypto::Signer* listed = sorted.find_signer(signer.fingerprint());
    if (listed == nullptr || listed->public_key != signer.public_key) {
        return make_error(Errc::precondition,
                          "the signing key " + signer.describe() +
                              " is not a signer of the escrow policy " + sorted.fingerprint() +
                              ": the vault would not accept its backups",
                          "use the signing key the vault was initialised with (--signing-key "
                          "FILE, or the --state-dir given to 'vault init'), or list this host "
                          "('ssoescrow signer show') in the policy");
    }
    TRY(source.validate());
    TRY(bundle.validate());
    if (created < 0 || created > envelope_text::k_max_time) {
        return make_error(Errc::invalid_argument, "creation time outside 1970..9999");
    }

    EnvelopeHeader header;
    header.vault_id = context.vault_id;
    header.backup_id = backup_id;
    header.created = created;
    header.source = source;
    header.policy_fingerprint = sorted.fingerprint();
    header.signer_key = signer.public_key;
    header.signer_fingerprint = signer.fingerprint();
    header.threshold = sorted.threshold;

    const auto count = static_cast<unsigned>(sorted.recipients.size());
    const SecretBytes file_key = SecretBytes::random(k_file_key_size);
    TRY_ASSIGN(std::vector<crypto::shamir::Share> shares,
               make_shares(file_key, header.threshold, count));

    header.stanzas.reserve(count);
    for (unsigned i = 0; i < count; ++i) {
        const crypto::Recipient& recipient = sorted.recipients[i];
        Stanza stanza;
        stanza.type = recipient.type;
        stanza.recipient_fingerprint = recipient.fingerprint();
        stanza.x = shares[i].x;
        stanza.label = recipient.label;
        stanza.commitment =
            share_commitment(header.backup_id, header.threshold, stanza.x, shares[i].y);
        TRY_ASSIGN(stanza.wrapped_share,
                   crypto::wrap_to_recipient(recipient.public_key, shares[i].y.view(),
                                             share_wrap_context(header, stanza)));
        header.stanzas.push_back(std::move(stanza));
    }

    crypto::random_fill(header.payload_nonce);
    const SecretBytes plaintext = encode_bundle(bundle);
    header.payload_size = plaintext.size() + crypto::k_aead_tag_size;

    const SecretBytes mac_key = crypto::derive_subkey(file_key, k_mac_label, 32);
    header.mac = crypto::hmac_sha256(mac_key, as_bytes(serialise_header_body(header)));
    const std::string signed_part = serialise_signed_part(header);

    const SecretBytes payload_key =
        crypto::derive_subkey(file_key, k_payload_label, crypto::k_aead_key_size);
    TRY_ASSIGN(Bytes ciphertext, crypto::aead_seal(payload_key, header.payload_nonce,
                                                   plaintext.view(), as_bytes(signed_part)));
    const crypto::Digest payload_sha256 = crypto::sha256(ciphertext);
    std::copy(payload_sha256.begin(), payload_sha256.end(), header.payload_sha256.begin());
    header.signature =
        context.signer->sign(signature_message(as_bytes(signed_part), header.payload_sha256));
    const std::string header_text = serialise_envelope_header(header);
    Bytes file = to_bytes(header_text);
    file.insert(file.end(), ciphertext.begin(), ciphertext.end());

    // Self-check before anyone relies on this envelope: it parses back to the same header, every
    // share matches its commitment, and K shares (the first K and the last K) open it to the
    // same bundle.
    auto reparsed = parse_envelope_header(file);
    if (!reparsed || serialise_envelope_header(reparsed.value()) != header_text) {
        return make_error(Errc::internal, "the sealed envelope does not parse back (self-check)");
    }
    if (auto signed_ok = check_envelope_signature(reparsed.value(), file); !signed_ok) {
        return make_error(Errc::internal,
                          "the sealed envelope's signature does not verify "
                          "(self-check): " +
                              signed_ok.error().message);
    }
    std::vector<CustodianShare> opened;
    opened.reserve(count);
    for (unsigned i = 0; i < count; ++i) {
        opened.push_back(CustodianShare{header.stanzas[i].recipient_fingerprint,
                                        crypto::shamir::Share{shares[i].x, shares[i].y.clone()}});
        if (auto checked = check_custodian_share(reparsed.value(), opened.back()); !checked) {
            return make_error(Errc::internal,
                              "sealed share does not match its commitment "
                              "(self-check): " +
                                  checked.error().message);
        }
    }
    const std::size_t k = header.threshold;
    std::span<const CustodianShare> all(opened);
    for (auto subset : {all.first(k), all.last(k)}) {
        auto reopened = combine_and_open(file, subset);
        if (!reopened) {
            return make_error(Errc::internal, "the sealed envelope does not open (self-check): " +
                                                  reopened.error().message);
        }
        TRY(check_bundle_equal(reopened.value(), bundle));
    }
    return file;
}

}  // namespace ssoescrow::vault
