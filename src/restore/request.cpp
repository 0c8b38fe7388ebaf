#include "src/restore/request.hpp"

#include <algorithm>
#include <utility>

#include "crypto/exchanged_text.hpp"
#include "crypto/random.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::restore {

namespace {

using crypto::SecretBytes;

constexpr std::string_view k_approval_context_label = "ssoescrow/1 restore-approval";
constexpr std::string_view k_checksum_key = "checksum: ";
// "checksum: " + 64 hex + LF
constexpr std::size_t k_checksum_line_size = 10 + 64 + 1;
constexpr std::int64_t k_future_tolerance = 300;
constexpr std::string_view k_request_prefix = "ssoescrow-restore-request/";
constexpr std::string_view k_approval_prefix = "ssoescrow-restore-approval/";
constexpr std::string_view k_key_prefix = "ssoescrow-restore-key/";

std::string_view as_text(ByteView bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Strict LF-terminated lines of printable bytes (no CR, NUL or other control byte).
class Lines {
  public:
    Lines(std::string_view text, std::string_view source) : m_text(text), m_source(source) {}

    Error error(Errc code, std::string_view what, const std::string& message) const {
        return make_error(code, m_source + " line " + std::to_string(m_line) + " (" +
                                    std::string(what) + "): " + message);
    }

    Result<std::string_view> line(std::string_view what) {
        ++m_line;
        if (m_pos >= m_text.size())
            return error(Errc::parse, what, "missing: the file is truncated");
        const std::size_t end = m_text.find('\n', m_pos);
        const std::size_t length = (end == std::string_view::npos ? m_text.size() : end) - m_pos;
        if (length > k_max_request_line_size)
            return error(Errc::limit_exceeded, what, "line longer than 1024 bytes");
        if (end == std::string_view::npos)
            return error(Errc::parse, what, "no line end: the file is truncated");
        const std::string_view value = m_text.substr(m_pos, length);
        for (char c : value) {
            const auto b = static_cast<unsigned char>(c);
            if (b < 0x20 || b == 0x7f)
                return error(Errc::parse, what, "contains a control byte (CR, NUL, tab...)");
        }
        m_pos = end + 1;
        return value;
    }

    // "key: value" (value not empty), or exactly "key:" when allow_empty and the value is empty.
    Result<std::string_view> field(std::string_view key, bool allow_empty = false) {
        TRY_ASSIGN(const std::string_view value, line(key));
        const std::string prefix = std::string(key) + ": ";
        if (allow_empty && value.size() == key.size() + 1 && value.substr(0, key.size()) == key &&
            value.back() == ':') {
            return std::string_view();
        }
        if (value.size() <= prefix.size() || value.substr(0, prefix.size()) != prefix)
            return error(Errc::parse, key, "expected '" + prefix + "...'");
        return value.substr(prefix.size());
    }

    // `size` raw bytes (no line rules): the embedded envelope header.
    Result<std::string_view> raw(std::size_t size, std::string_view what) {
        if (m_text.size() - m_pos < size)
            return error(Errc::parse, what, "the file is truncated");
        const std::string_view value = m_text.substr(m_pos, size);
        m_pos += size;
        m_line += static_cast<std::size_t>(std::count(value.begin(), value.end(), '\n'));
        return value;
    }

    bool at_end() const noexcept { return m_pos == m_text.size(); }
    const std::string& source() const noexcept { return m_source; }

  private:
    std::string_view m_text;
    std::string m_source;
    std::size_t m_pos = 0;
    std::size_t m_line = 0;
};

template <std::size_t N>
Status parse_fixed_hex(std::string_view text, std::array<std::uint8_t, N>& out, const Lines& lines,
                       std::string_view what) {
    auto bytes = from_hex(text, what);
    if (!bytes || bytes->size() != N) {
        return lines.error(Errc::parse, what,
                           "expected " + std::to_string(2 * N) + " lower-case hex digits");
    }
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return {};
}

Status parse_vault_id(std::string_view text, std::string& out, const Lines& lines) {
    if (!vault::check_hex(text, 16, "vault"))
        return lines.error(Errc::parse, "vault", "expected 32 lower-case hex digits");
    out = std::string(text);
    return {};
}

Result<std::int64_t> parse_time_field(std::string_view text, const Lines& lines,
                                      std::string_view what) {
    auto time = vault::parse_time(text, what);
    if (!time)
        return lines.error(Errc::parse, what, time.error().message);
    return time.value();
}

}  // namespace

// Splits off and verifies the final checksum line. Returns the bytes it covers.
Result<std::string_view> verify_checksum(std::string_view text, std::string_view source,
                                         std::string_view kind) {
    if (text.size() < k_checksum_line_size + 1 ||
        text.substr(text.size() - k_checksum_line_size, k_checksum_key.size()) != k_checksum_key ||
        text.back() != '\n' || text[text.size() - k_checksum_line_size - 1] != '\n') {
        return make_error(Errc::parse,
                          std::string(source) + ": " + std::string(kind) +
                              " is truncated or damaged: it does not end with its checksum line",
                          "ask for the file again; it must reach you byte for byte");
    }
    const std::string_view covered = text.substr(0, text.size() - k_checksum_line_size);
    const std::string_view written =
        text.substr(text.size() - k_checksum_line_size + k_checksum_key.size(), 64);
    if (!vault::check_hex(written, 32, "checksum")) {
        return make_error(Errc::parse, std::string(source) + ": " + std::string(kind) +
                                           " checksum is not 64 lower-case hex digits");
    }
    const crypto::Digest actual = crypto::sha256(as_bytes(covered));
    if (to_hex(actual) != written) {
        return make_error(Errc::auth_failed,
                          std::string(source) + ": " + std::string(kind) +
                              " is damaged: its checksum does not match its contents (changed "
                              "after it was written, or in transit)",
                          "ask for the file again; it must reach you byte for byte");
    }
    return covered;
}

namespace {

Status check_version(std::string_view text, std::string_view magic, std::string_view prefix,
                     std::string_view source, std::string_view kind) {
    const std::size_t end = text.find('\n');
    const std::string_view first = text.substr(0, std::min(end, std::size_t{64}));
    if (end != std::string_view::npos && text.substr(0, end) == magic)
        return {};
    if (first.substr(0, prefix.size()) == prefix) {
        std::string version(first.substr(prefix.size()));
        for (char& c : version) {
            if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
                c = '?';
        }
        return make_error(
            Errc::unsupported_version,
            std::string(source) + ": " + std::string(kind) + ": unsupported version " + version,
            "it was written by a newer ssoescrow; upgrade to read it");
    }
    if (first.substr(0, 16) == "ssoescrow-rekey-") {
        // The rekey ceremony's files (src/rekey/) look alike but never serve a restore.
        const bool approval = first.substr(0, 25) == "ssoescrow-rekey-approval/";
        return make_error(Errc::precondition,
                          std::string(source) + " is a rekey " +
                              (approval ? "approval" : "request") + ", not a " + std::string(kind) +
                              ": the rekey ceremony's files never serve a "
                              "restore",
                          "ask the custodians to approve the restore request ('ssoescrow restore "
                          "approve')");
    }
    return make_error(Errc::parse, std::string(source) + ": not an ssoescrow " + std::string(kind));
}

}  // namespace

std::string with_checksum(std::string body) {
    const crypto::Digest digest = crypto::sha256(as_bytes(body));
    body += "checksum: " + to_hex(digest) + "\n";
    return body;
}

namespace {

// The "payload: ... <size>" line of a header, so that the header can be checked with the
// envelope parser without its payload. 0 when it cannot be found (the parser then says why).
std::uint64_t declared_payload_size(std::string_view header) {
    // header ends with "payload: xchacha20poly1305 <48 hex> <size>\nmac: <64 hex>\n" and the
    // signature line
    constexpr std::size_t k_mac_line = vault::k_mac_line_size + vault::k_signature_line_size;
    if (header.size() < k_mac_line + 2)
        return 0;
    const std::string_view before = header.substr(0, header.size() - k_mac_line);
    if (before.back() != '\n')
        return 0;
    const std::size_t start = before.rfind('\n', before.size() - 2);
    const std::size_t space = before.rfind(' ');
    if (start == std::string_view::npos || space == std::string_view::npos || space < start)
        return 0;
    const std::string_view digits = before.substr(space + 1, before.size() - space - 2);
    auto size = vault::parse_integer(digits, "payload size");
    if (!size || size.value() > vault::k_max_payload_size)
        return 0;
    return size.value();
}

}  // namespace

Result<vault::EnvelopeHeader> parse_embedded_header(std::string_view header_text,
                                                    std::string_view source) {
    Bytes buffer(header_text.begin(), header_text.end());
    buffer.resize(header_text.size() + declared_payload_size(header_text), 0);
    auto header = vault::parse_envelope_header(buffer);
    if (!header) {
        Error error = std::move(header).error();
        return with_context(std::move(error), std::string(source) + ": embedded envelope header");
    }
    if (header->header_size != header_text.size()) {
        return make_error(Errc::parse,
                          std::string(source) + ": embedded envelope header has extra bytes");
    }
    return std::move(header).value();
}

namespace {

std::string hex_byte(std::uint8_t value) {
    return to_hex(ByteView(&value, 1));
}

// Constant-time lower-case hex for secret bytes (no table lookups, no data-dependent branches).
char hex_nibble(unsigned nibble) {
    const int n = static_cast<int>(nibble);
    return static_cast<char>(n + '0' + (((9 - n) >> 8) & ('a' - '0' - 10)));
}

// Constant-time decoding of one lower-case hex digit; `valid` is cleared on a bad digit.
std::uint8_t hex_value(unsigned char c, bool& valid) {
    const unsigned char num = c ^ 48u;
    const unsigned char num_ok = static_cast<unsigned char>((num - 10u) >> 8);
    const unsigned char alpha = static_cast<unsigned char>(c - 87u);
    const unsigned char alpha_ok = static_cast<unsigned char>(((alpha - 10u) ^ (alpha - 16u)) >> 8);
    if ((num_ok | alpha_ok) == 0)
        valid = false;
    return static_cast<std::uint8_t>((num_ok & num) | (alpha_ok & alpha));
}

}  // namespace

std::string request_id_hex(const RequestId& id) {
    return to_hex(id);
}

std::string_view purpose_name(Purpose purpose) noexcept {
    switch (purpose) {
        case Purpose::restore:
            return "restore";
        case Purpose::drill:
            return "drill";
        case Purpose::extract:
            return "extract";
    }
    return "restore";
}

Result<Purpose> parse_purpose(std::string_view text) {
    for (Purpose purpose : {Purpose::restore, Purpose::drill, Purpose::extract}) {
        if (text == purpose_name(purpose))
            return purpose;
    }
    return make_error(Errc::usage, "unknown purpose '" + std::string(text) + "'",
                      "give restore, drill or extract");
}

crypto::Digest request_digest(const RestoreRequest& request) {
    return crypto::sha256(as_bytes(serialise_request(request)));
}

std::string Approval::describe() const {
    return "custodian '" + label + "' (" + custodian + ")";
}

// --- Requests --------------------------------------------------------------------------------

Result<NewRequest> create_request(ByteView envelope_file, std::string_view vault_id,
                                  std::string requester, std::string reason, std::int64_t now,
                                  std::int64_t lifetime, Purpose purpose) {
    if (lifetime <= 0 || lifetime > k_max_request_lifetime) {
        return make_error(Errc::usage, "a request must expire within 1 second to 30 days");
    }
    if (!vault::check_hex(vault_id, 16, "vault id"))
        return make_error(Errc::internal, "vault id is not 32 hex digits");
    TRY_ASSIGN(vault::EnvelopeHeader header, vault::parse_envelope_header(envelope_file));
    TRY(vault::check_token(requester, "requester"));
    if (!reason.empty())
        TRY(vault::check_text(reason, "--reason"));
    NewRequest out;
    RestoreRequest& request = out.request;
    crypto::random_fill(request.id);
    request.vault_id = std::string(vault_id);
    request.backup_id = header.backup_id;
    request.envelope_header = std::string(as_text(envelope_file.subspan(0, header.header_size)));
    request.header_sha256 = crypto::sha256(as_bytes(request.envelope_header));
    request.purpose = purpose;
    request.requester = std::move(requester);
    request.reason = std::move(reason);
    request.created = now;
    request.expires = now + lifetime;
    if (request.expires > vault::k_max_time)
        return make_error(Errc::usage, "the expiry time is after the year 9999");
    request.header = std::move(header);
    crypto::KeyPair pair = crypto::generate_keypair();
    request.ephemeral_key = pair.public_key;
    out.secret_key = std::move(pair.secret_key);
    return out;
}

std::string serialise_request(const RestoreRequest& request) {
    std::string out;
    out += std::string(k_request_magic) + "\n";
    out += "request: " + request_id_hex(request.id) + "\n";
    out += "vault: " + request.vault_id + "\n";
    out += "backup: " + vault::backup_id_hex(request.backup_id) + "\n";
    out += "header-sha256: " + to_hex(request.header_sha256) + "\n";
    out += "purpose: " + std::string(purpose_name(request.purpose)) + "\n";
    out += "requester: " + request.requester + "\n";
    out += request.reason.empty() ? std::string("reason:\n") : "reason: " + request.reason + "\n";
    out += "created: " + vault::format_time(request.created) + "\n";
    out += "expires: " + vault::format_time(request.expires) + "\n";
    out += "ephemeral-key: x25519 " + to_base64(request.ephemeral_key) + "\n";
    out += "envelope-header: " + std::to_string(request.envelope_header.size()) + "\n";
    out += request.envelope_header;
    return with_checksum(std::move(out));
}

Result<RestoreRequest> parse_request(ByteView raw_file, std::string_view source) {
    if (raw_file.size() > crypto::exchanged_file_read_limit(k_max_request_size)) {
        return make_error(Errc::limit_exceeded,
                          std::string(source) + ": " + std::to_string(raw_file.size()) +
                              " bytes, larger than any restore request",
                          "this is not an ssoescrow restore request");
    }
    // A copy that went through Notepad or a mail program is read as the original (CR LF, byte
    // order mark, trailing blank lines undone); the digest approvals bind is the canonical form's.
    const std::string canonical = crypto::normalise_exchanged_text(as_text(raw_file));
    const ByteView file = as_bytes(canonical);
    if (file.size() > k_max_request_size) {
        return make_error(Errc::limit_exceeded,
                          std::string(source) + ": " + std::to_string(file.size()) +
                              " bytes, larger than any restore request",
                          "this is not an ssoescrow restore request");
    }
    const std::string_view text = as_text(file);
    TRY(check_version(text, k_request_magic, k_request_prefix, source, "restore request"));
    TRY_ASSIGN(const std::string_view body, verify_checksum(text, source, "restore request"));
    Lines lines(body, source);
    RestoreRequest request;
    TRY(lines.line("version"));
    {
        TRY_ASSIGN(const std::string_view value, lines.field("request"));
        TRY(parse_fixed_hex(value, request.id, lines, "request"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("vault"));
        TRY(parse_vault_id(value, request.vault_id, lines));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("backup"));
        TRY(parse_fixed_hex(value, request.backup_id, lines, "backup"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("header-sha256"));
        TRY(parse_fixed_hex(value, request.header_sha256, lines, "header-sha256"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("purpose"));
        auto purpose = parse_purpose(value);
        if (!purpose)
            return lines.error(Errc::parse, "purpose", "expected restore, drill or extract");
        request.purpose = purpose.value();
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("requester"));
        if (auto ok = vault::check_token(value, "requester"); !ok)
            return lines.error(Errc::parse, "requester", ok.error().message);
        request.requester = std::string(value);
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("reason", true));
        if (!value.empty()) {
            if (auto ok = vault::check_text(value, "reason"); !ok)
                return lines.error(Errc::parse, "reason", ok.error().message);
        }
        request.reason = std::string(value);
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("created"));
        TRY_ASSIGN(request.created, parse_time_field(value, lines, "created"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("expires"));
        TRY_ASSIGN(request.expires, parse_time_field(value, lines, "expires"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("ephemeral-key"));
        constexpr std::string_view k_type = "x25519 ";
        if (value.substr(0, k_type.size()) != k_type)
            return lines.error(Errc::parse, "ephemeral-key", "expected 'x25519 <base64>'");
        auto key = from_base64(value.substr(k_type.size()), "ephemeral-key");
        if (!key || key->size() != request.ephemeral_key.size()) {
            return lines.error(Errc::parse, "ephemeral-key",
                               "expected the canonical base64 of 32 bytes");
        }
        std::copy(key->begin(), key->end(), request.ephemeral_key.begin());
    }
    std::uint64_t header_size = 0;
    {
        TRY_ASSIGN(const std::string_view value, lines.field("envelope-header"));
        auto size = vault::parse_integer(value, "envelope-header");
        if (!size)
            return lines.error(Errc::parse, "envelope-header", size.error().message);
        if (size.value() > vault::k_max_header_size) {
            return lines.error(Errc::limit_exceeded, "envelope-header",
                               "header size over " + std::to_string(vault::k_max_header_size));
        }
        header_size = size.value();
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.raw(header_size, "envelope header"));
        request.envelope_header = std::string(value);
    }
    if (!lines.at_end()) {
        return make_error(Errc::parse, std::string(source) +
                                           ": unexpected data between the envelope header and "
                                           "the checksum line");
    }
    TRY_ASSIGN(request.header, parse_embedded_header(request.envelope_header, source));
    // Consistency: the named backup and hash are the embedded header's; times make sense.
    if (request.header.backup_id != request.backup_id) {
        return make_error(Errc::parse, std::string(source) + ": names backup " +
                                           vault::backup_id_hex(request.backup_id) +
                                           " but carries the header of backup " +
                                           vault::backup_id_hex(request.header.backup_id));
    }
    if (crypto::sha256(as_bytes(request.envelope_header)) != request.header_sha256) {
        return make_error(Errc::parse, std::string(source) +
                                           ": header-sha256 is not the hash of the embedded "
                                           "envelope header");
    }
    if (request.expires <= request.created ||
        request.expires - request.created > k_max_request_lifetime) {
        return make_error(Errc::parse, std::string(source) +
                                           ": expires must be after created and at most 30 days "
                                           "later");
    }
    return request;
}

std::string request_fingerprint(const RestoreRequest& request) {
    const crypto::Digest digest = request_digest(request);
    const std::string hex = to_hex(ByteView(digest.data(), 16));
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 4) {
        if (!out.empty())
            out += '-';
        out += hex.substr(i, 4);
    }
    return out;
}

Status check_request_current(const RestoreRequest& request, std::int64_t now) {
    if (now >= request.expires) {
        return make_error(Errc::precondition,
                          "restore request " + request_id_hex(request.id) + " expired at " +
                              vault::format_time(request.expires) + " (now " +
                              vault::format_time(std::max<std::int64_t>(now, 0)) + ")",
                          "an expired request and its approvals are refused; make a new one "
                          "with 'ssoescrow restore request' and ask the custodians again");
    }
    if (request.created > now + k_future_tolerance) {
        return make_error(Errc::precondition,
                          "restore request " + request_id_hex(request.id) + " was created at " +
                              vault::format_time(request.created) +
                              ", in the future of this computer's clock",
                          "check the clocks of this computer and the requester's");
    }
    return {};
}

// --- Request key ------------------------------------------------------------------------------

SecretBytes serialise_request_key(const RequestId& request, const crypto::PublicKey& public_key,
                                  const SecretBytes& secret_key) {
    const std::string head = std::string(k_request_key_magic) +
                             "\nrequest: " + request_id_hex(request) +
                             "\npublic: " + to_base64(public_key) + "\nsecret: ";
    SecretBytes out(head.size() + secret_key.size() * 2 + 1);
    std::copy(head.begin(), head.end(), out.data());
    std::size_t at = head.size();
    for (std::size_t i = 0; i < secret_key.size(); ++i) {
        out[at++] = static_cast<std::uint8_t>(hex_nibble(secret_key[i] >> 4));
        out[at++] = static_cast<std::uint8_t>(hex_nibble(secret_key[i] & 0x0f));
    }
    out[at] = '\n';
    return out;
}

Result<RequestKey> parse_request_key(const SecretBytes& file, std::string_view source) {
    const std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
    if (auto copied = crypto::strict_line_end_error(text, source, "restore request key"))
        return *copied;
    TRY(check_version(text, k_request_key_magic, k_key_prefix, source, "restore request key"));
    const std::string damaged = std::string(source) + ": malformed restore request key";
    const std::string hint = "use the REQ.key file written by 'ssoescrow restore request'";
    // magic LF "request: " 32 LF "public: " 44 LF "secret: " 64 LF
    const std::size_t expected =
        k_request_key_magic.size() + 1 + 9 + 32 + 1 + 8 + 44 + 1 + 8 + 64 + 1;
    if (file.size() != expected)
        return make_error(Errc::parse, damaged + " (wrong size)", hint);
    std::size_t at = k_request_key_magic.size() + 1;
    RequestKey key;
    if (text.substr(at, 9) != "request: " || text[at + 9 + 32] != '\n')
        return make_error(Errc::parse, damaged + " (request line)", hint);
    auto id = from_hex(text.substr(at + 9, 32), "request");
    if (!id)
        return make_error(Errc::parse, damaged + " (request id)", hint);
    std::copy(id->begin(), id->end(), key.request.begin());
    at += 9 + 32 + 1;
    if (text.substr(at, 8) != "public: " || text[at + 8 + 44] != '\n')
        return make_error(Errc::parse, damaged + " (public line)", hint);
    auto pub = from_base64(text.substr(at + 8, 44), "public");
    if (!pub || pub->size() != key.public_key.size())
        return make_error(Errc::parse, damaged + " (public key)", hint);
    std::copy(pub->begin(), pub->end(), key.public_key.begin());
    at += 8 + 44 + 1;
    if (text.substr(at, 8) != "secret: " || text[at + 8 + 64] != '\n')
        return make_error(Errc::parse, damaged + " (secret line)", hint);
    at += 8;
    key.secret_key = SecretBytes(crypto::k_x25519_key_size);
    bool valid = true;
    for (std::size_t i = 0; i < key.secret_key.size(); ++i) {
        const std::uint8_t high = hex_value(static_cast<unsigned char>(text[at + 2 * i]), valid);
        const std::uint8_t low = hex_value(static_cast<unsigned char>(text[at + 2 * i + 1]), valid);
        key.secret_key[i] = static_cast<std::uint8_t>((high << 4) | low);
    }
    if (!valid)
        return make_error(Errc::parse, damaged + " (secret key is not lower-case hex)", hint);
    return key;
}

Status check_request_key(const RestoreRequest& request, const RequestKey& key,
                         std::string_view source) {
    if (key.request != request.id) {
        return make_error(Errc::share_mismatch,
                          std::string(source) + " is the key of request " +
                              request_id_hex(key.request) + ", not of request " +
                              request_id_hex(request.id),
                          "give the REQ.key written together with this request (--key FILE)");
    }
    TRY_ASSIGN(const crypto::PublicKey derived, crypto::public_key_of(key.secret_key));
    if (!crypto::constant_time_equal(derived, key.public_key) ||
        !crypto::constant_time_equal(key.public_key, request.ephemeral_key)) {
        return make_error(Errc::auth_failed,
                          std::string(source) + " does not hold the ephemeral key of request " +
                              request_id_hex(request.id) + ": the key or the request was altered",
                          "use intact copies of the request and its key file");
    }
    return {};
}

// --- Approvals ------------------------------------------------------------------------------

std::string serialise_approval(const Approval& approval) {
    std::string out;
    out += std::string(k_approval_magic) + "\n";
    out += "request: " + request_id_hex(approval.request) + "\n";
    out += "request-sha256: " + to_hex(approval.request_sha256) + "\n";
    out += "vault: " + approval.vault_id + "\n";
    out += "backup: " + vault::backup_id_hex(approval.backup_id) + "\n";
    out += "header-sha256: " + to_hex(approval.header_sha256) + "\n";
    out += "purpose: " + std::string(purpose_name(approval.purpose)) + "\n";
    out += "custodian: " + approval.custodian + "\n";
    out += "label: " + approval.label + "\n";
    out += "x: " + hex_byte(approval.x) + "\n";
    out += "approved: " + vault::format_time(approval.approved) + "\n";
    out += "wrapped: " + to_base64(approval.wrapped) + "\n";
    return with_checksum(std::move(out));
}

Result<Approval> parse_approval(ByteView raw_file, std::string_view source) {
    if (raw_file.size() > crypto::exchanged_file_read_limit(k_max_approval_size)) {
        return make_error(Errc::limit_exceeded,
                          std::string(source) + ": " + std::to_string(raw_file.size()) +
                              " bytes, larger than any restore approval",
                          "this is not an ssoescrow restore approval");
    }
    // Read as the original whatever Notepad or a mail program did to the line ends.
    const std::string canonical = crypto::normalise_exchanged_text(as_text(raw_file));
    const ByteView file = as_bytes(canonical);
    if (file.size() > k_max_approval_size) {
        return make_error(Errc::limit_exceeded,
                          std::string(source) + ": " + std::to_string(file.size()) +
                              " bytes, larger than any restore approval",
                          "this is not an ssoescrow restore approval");
    }
    const std::string_view text = as_text(file);
    TRY(check_version(text, k_approval_magic, k_approval_prefix, source, "restore approval"));
    TRY_ASSIGN(const std::string_view body, verify_checksum(text, source, "restore approval"));
    Lines lines(body, source);
    Approval approval;
    TRY(lines.line("version"));
    {
        TRY_ASSIGN(const std::string_view value, lines.field("request"));
        TRY(parse_fixed_hex(value, approval.request, lines, "request"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("request-sha256"));
        TRY(parse_fixed_hex(value, approval.request_sha256, lines, "request-sha256"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("vault"));
        TRY(parse_vault_id(value, approval.vault_id, lines));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("backup"));
        TRY(parse_fixed_hex(value, approval.backup_id, lines, "backup"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("header-sha256"));
        TRY(parse_fixed_hex(value, approval.header_sha256, lines, "header-sha256"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("purpose"));
        auto purpose = parse_purpose(value);
        if (!purpose)
            return lines.error(Errc::parse, "purpose", "expected restore, drill or extract");
        approval.purpose = purpose.value();
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("custodian"));
        if (!vault::is_fingerprint_text(value))
            return lines.error(Errc::parse, "custodian", "not a recipient fingerprint");
        approval.custodian = std::string(value);
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("label"));
        if (auto ok = crypto::check_label(value); !ok)
            return lines.error(Errc::parse, "label", ok.error().message);
        approval.label = std::string(value);
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("x"));
        std::array<std::uint8_t, 1> x{};
        TRY(parse_fixed_hex(value, x, lines, "x"));
        if (x[0] == 0)
            return lines.error(Errc::share_x_zero, "x", "x = 00 is not a share");
        approval.x = x[0];
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("approved"));
        TRY_ASSIGN(approval.approved, parse_time_field(value, lines, "approved"));
    }
    {
        TRY_ASSIGN(const std::string_view value, lines.field("wrapped"));
        auto wrapped = from_base64(value, "wrapped");
        if (!wrapped || wrapped->size() != vault::k_wrapped_share_size) {
            return lines.error(Errc::parse, "wrapped",
                               "expected the canonical base64 of " +
                                   std::to_string(vault::k_wrapped_share_size) + " bytes");
        }
        approval.wrapped = std::move(wrapped).value();
    }
    if (!lines.at_end()) {
        return make_error(Errc::parse,
                          std::string(source) + ": unexpected line before the checksum line");
    }
    return approval;
}

Bytes approval_context(const RestoreRequest& request, std::string_view fingerprint,
                       std::uint8_t x) {
    Bytes context = to_bytes(k_approval_context_label);
    context.push_back(0);
    context.push_back(2);
    const crypto::Digest digest = request_digest(request);
    context.insert(context.end(), digest.begin(), digest.end());
    context.insert(context.end(), request.id.begin(), request.id.end());
    const Bytes vault_id = from_hex(request.vault_id, "vault").ok()
                               ? from_hex(request.vault_id, "vault").value()
                               : Bytes(16, 0);
    context.insert(context.end(), vault_id.begin(), vault_id.end());
    context.insert(context.end(), request.backup_id.begin(), request.backup_id.end());
    context.insert(context.end(), request.header_sha256.begin(), request.header_sha256.end());
    context.push_back(static_cast<std::uint8_t>(request.header.threshold));
    context.push_back(x);
    const Bytes fpr = to_bytes(fingerprint);
    context.insert(context.end(), fpr.begin(), fpr.end());
    return context;
}

Result<Approval> approve_request(const RestoreRequest& request, const crypto::Identity& identity,
                                 std::int64_t now) {
    TRY(check_request_current(request, now));
    TRY_ASSIGN(vault::CustodianShare share, vault::open_stanza(request.header, identity));
    TRY_ASSIGN(const vault::Stanza* stanza,
               vault::find_stanza(request.header, share.recipient_fingerprint));
    Approval approval;
    approval.request = request.id;
    approval.request_sha256 = request_digest(request);
    approval.vault_id = request.vault_id;
    approval.backup_id = request.backup_id;
    approval.header_sha256 = request.header_sha256;
    approval.purpose = request.purpose;
    approval.custodian = share.recipient_fingerprint;
    approval.label = stanza->label;
    approval.x = share.share.x;
    approval.approved = now;
    TRY_ASSIGN(approval.wrapped, crypto::wrap_to_recipient(
                                     request.ephemeral_key, share.share.y.view(),
                                     approval_context(request, approval.custodian, approval.x)));
    return approval;
}

Result<vault::CustodianShare> open_approval(const RestoreRequest& request, const RequestKey& key,
                                            const Approval& approval, std::string_view source) {
    const std::string who = std::string(source) + " (" + approval.describe() + ")";
    const std::string hint =
        "ask this custodian to approve this request (" + request_id_hex(request.id) + ")";
    if (approval.request != request.id) {
        return make_error(Errc::share_mismatch,
                          who + " approves another request (" + request_id_hex(approval.request) +
                              "), not " + request_id_hex(request.id),
                          hint);
    }
    if (approval.vault_id != request.vault_id) {
        return make_error(Errc::share_mismatch,
                          who + " is for vault " + approval.vault_id + ", not " + request.vault_id,
                          hint);
    }
    if (approval.backup_id != request.backup_id) {
        return make_error(Errc::share_mismatch,
                          who + " is for backup " + vault::backup_id_hex(approval.backup_id) +
                              ", not " + vault::backup_id_hex(request.backup_id),
                          hint);
    }
    if (approval.header_sha256 != request.header_sha256) {
        return make_error(Errc::share_mismatch,
                          who + " was made for another envelope header of backup " +
                              vault::backup_id_hex(request.backup_id),
                          hint);
    }
    if (approval.request_sha256 != request_digest(request) || approval.purpose != request.purpose) {
        return make_error(Errc::share_mismatch,
                          who + " was made for another version of request " +
                              request_id_hex(request.id) +
                              ": the request was edited after it was approved (its purpose, "
                              "expiry, requester, reason or key differ from what the custodian "
                              "approved)",
                          "use the request file exactly as the custodians approved it, or make "
                          "a new request and ask them again");
    }
    auto stanza = vault::find_stanza(request.header, approval.custodian);
    if (!stanza) {
        return make_error(Errc::share_mismatch,
                          who + ": this custodian has no stanza in backup " +
                              vault::backup_id_hex(request.backup_id),
                          "only the custodians the backup was sealed to can approve it");
    }
    if (stanza.value()->x != approval.x) {
        return make_error(Errc::share_mismatch,
                          who + " carries x = " + hex_byte(approval.x) +
                              ", the custodian's stanza has x = " + hex_byte(stanza.value()->x),
                          hint);
    }
    auto y =
        crypto::unwrap_with_identity(key.secret_key, key.public_key, approval.wrapped,
                                     approval_context(request, approval.custodian, approval.x));
    if (!y) {
        return make_error(Errc::auth_failed,
                          who +
                              " is corrupt: its share does not open with this request's key "
                              "(damaged, forged, or re-wrapped for another request)",
                          "ask this custodian for a new approval of this request");
    }
    vault::CustodianShare share{approval.custodian,
                                crypto::shamir::Share{approval.x, std::move(y).value()}};
    if (auto checked = vault::check_custodian_share(request.header, share); !checked) {
        Error error = checked.error();
        error.message = std::string(source) + ": " + error.message;
        return error;
    }
    return share;
}

}  // namespace ssoescrow::restore
