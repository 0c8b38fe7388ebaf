#include "src/rekey/ceremony.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "crypto/random.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::rekey {

namespace {

constexpr std::uint8_t k_share_context_version = 1;

// The two files that carry re-wrapped shares to the operator differ in their version line, their
// time field and the label their shares' associated data starts with: an approval (an old
// custodian's share of a covered backup) and a proof (a new custodian's share of a pending
// envelope) can never stand in for each other.
struct ShareFileKind {
    std::string_view magic;
    std::string_view context_label;
    std::string_view time_field;
    std::string_view noun;  // for messages
};

constexpr ShareFileKind k_approval_kind{k_rekey_approval_magic, "ssoescrow/1 rekey-approval",
                                        "approved", "rekey approval"};
constexpr ShareFileKind k_proof_kind{k_rekey_proof_magic, "ssoescrow/1 rekey-proof", "proved",
                                     "rekey proof"};
constexpr std::int64_t k_max_lifetime = 30 * 24 * 3600;
constexpr std::int64_t k_future_tolerance = 300;

std::string_view as_text(ByteView bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Reads "key: value" lines and length-prefixed blobs in order. Canonical spelling is checked
// afterwards by serialising the result and comparing bytes, so the reader only needs to find
// the values and reject what cannot be parsed at all.
class Reader {
  public:
    Reader(std::string_view text, std::string source) : m_text(text), m_source(std::move(source)) {}

    Error error(std::string_view what, const std::string& message) const {
        return make_error(Errc::parse, m_source + " (" + std::string(what) + "): " + message);
    }

    Result<std::string_view> field(std::string_view key) {
        const std::size_t end = m_text.find('\n', m_pos);
        if (end == std::string_view::npos)
            return error(key, "missing: the file is truncated");
        const std::string_view line = m_text.substr(m_pos, end - m_pos);
        const std::string prefix = std::string(key) + ":";
        if (line.substr(0, prefix.size()) != prefix)
            return error(key, "expected a '" + prefix + "' line");
        m_pos = end + 1;
        std::string_view value = line.substr(prefix.size());
        if (!value.empty()) {
            if (value.front() != ' ')
                return error(key, "expected one space after the colon");
            value.remove_prefix(1);
        }
        return value;
    }

    Result<std::size_t> count(std::string_view key, std::size_t max) {
        TRY_ASSIGN(const std::string_view text, field(key));
        auto value = vault::parse_integer(text, key);
        if (!value || *value > max)
            return error(key, "expected an integer of at most " + std::to_string(max));
        return static_cast<std::size_t>(*value);
    }

    Result<std::string_view> blob(std::string_view key, std::size_t max) {
        TRY_ASSIGN(const std::size_t size, count(key, max));
        if (m_text.size() - m_pos < size)
            return error(key, "the file is truncated");
        const std::string_view out = m_text.substr(m_pos, size);
        m_pos += size;
        return out;
    }

    bool at_end() const noexcept { return m_pos == m_text.size(); }

  private:
    std::string_view m_text;
    std::string m_source;
    std::size_t m_pos = 0;
};

template <std::size_t N>
Status parse_fixed_hex(std::string_view text, std::array<std::uint8_t, N>& out,
                       std::string_view what) {
    auto bytes = from_hex(text, what);
    if (!bytes || bytes->size() != N) {
        return make_error(Errc::parse, std::string(what) + ": expected " + std::to_string(2 * N) +
                                           " lower-case hex digits");
    }
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return {};
}

// The first line must be `magic`; the other kind of ceremony file is named as such.
Status check_magic(std::string_view text, std::string_view magic, std::string_view source,
                   std::string_view kind) {
    const std::string_view first = text.substr(0, text.find('\n'));
    if (first == magic)
        return {};
    const std::string where(source);
    if (first.rfind("ssoescrow-restore-approval/", 0) == 0) {
        return make_error(Errc::precondition,
                          where +
                              " is a restore approval, not a rekey approval: approvals of a "
                              "restore never serve a rekey",
                          "ask the custodian to approve the rekey request ('ssoescrow rekey "
                          "approve')");
    }
    if (first.rfind("ssoescrow-restore-request/", 0) == 0) {
        return make_error(Errc::precondition, where + " is a restore request, not a rekey request");
    }
    if (magic == k_rekey_approval_magic && first.rfind("ssoescrow-rekey-proof/", 0) == 0) {
        return make_error(Errc::precondition,
                          where + " is a rekey proof (a new custodian's), not a rekey approval",
                          "give it with --proof when the ceremony awaits proof");
    }
    if (magic == k_rekey_proof_magic && first.rfind("ssoescrow-rekey-approval/", 0) == 0) {
        return make_error(Errc::precondition,
                          where + " is a rekey approval (an old custodian's), not a rekey proof",
                          "give it with --approval; a proof is made by a new custodian with "
                          "'ssoescrow rekey prove'");
    }
    const std::string prefix = std::string(magic.substr(0, magic.find('/') + 1));
    if (first.rfind(prefix, 0) == 0) {
        return make_error(Errc::unsupported_version,
                          where + ": " + std::string(kind) + ": unsupported version " +
                              std::string(first.substr(prefix.size(), 16)),
                          "it was written by a newer ssoescrow; upgrade to read it");
    }
    return make_error(Errc::parse, where + ": not an ssoescrow " + std::string(kind));
}

// What every ceremony file's reader checks first, in this order: its size ceiling, its magic line
// and its checksum; the Reader starts at the first field.
Result<Reader> open_ceremony_file(ByteView file, std::string_view source, std::size_t limit,
                                  std::string_view magic, std::string_view kind) {
    const std::string where(source);
    if (file.size() > limit) {
        return make_error(Errc::limit_exceeded,
                          where + ": larger than " + std::to_string(limit) + " bytes");
    }
    const std::string_view text = as_text(file);
    TRY(check_magic(text, magic, source, kind));
    TRY_ASSIGN(const std::string_view body, restore::verify_checksum(text, source, kind));
    return Reader(body.substr(magic.size() + 1), where);
}

std::string header_list(const std::vector<std::string>& headers) {
    std::string out = "backups: " + std::to_string(headers.size()) + "\n";
    for (const std::string& h : headers)
        out += "envelope-header: " + std::to_string(h.size()) + "\n" + h;
    return out;
}

Bytes vault_id_bytes(std::string_view vault_id) {
    auto bytes = from_hex(vault_id, "vault");
    return bytes ? std::move(bytes).value() : Bytes(16, 0);
}

std::string hex_byte(std::uint8_t value) {
    return to_hex(ByteView(&value, 1));
}

}  // namespace

Result<NewRekeyRequest> create_rekey_request(std::span<const Bytes> envelopes,
                                             std::string_view vault_id, std::string_view old_policy,
                                             const vault::EscrowPolicy& new_policy,
                                             std::string requester, std::string reason,
                                             std::int64_t now, std::int64_t lifetime) {
    if (lifetime <= 0 || lifetime > k_max_lifetime)
        return make_error(Errc::usage, "a rekey request must expire within 1 second to 30 days");
    if (envelopes.empty() || envelopes.size() > k_max_rekey_backups) {
        return make_error(Errc::precondition,
                          "a rekey request covers 1 to " + std::to_string(k_max_rekey_backups) +
                              " backups, not " + std::to_string(envelopes.size()));
    }
    TRY_ASSIGN(vault::EscrowPolicy policy, new_policy.normalised());
    if (policy.fingerprint() == old_policy) {
        return make_error(Errc::precondition, "the new escrow policy is the current one (" +
                                                  std::string(old_policy) + "): nothing to rekey");
    }
    TRY(vault::check_token(requester, "requester"));
    if (!reason.empty())
        TRY(vault::check_text(reason, "--reason"));
    NewRekeyRequest out;
    RekeyRequest& request = out.request;
    std::vector<std::pair<std::string, std::string>> headers;  // backup id hex -> header bytes
    for (const Bytes& file : envelopes) {
        TRY_ASSIGN(vault::EnvelopeHeader header, vault::parse_envelope_header(file));
        const std::string id = vault::backup_id_hex(header.backup_id);
        if (header.vault_id_hex() != vault_id || header.policy_fingerprint != old_policy) {
            return make_error(Errc::precondition, "backup " + id +
                                                      " is not sealed for this vault to policy " +
                                                      std::string(old_policy));
        }
        headers.emplace_back(id,
                             std::string(as_text(ByteView(file).subspan(0, header.header_size))));
    }
    std::sort(headers.begin(), headers.end());
    for (std::size_t i = 1; i < headers.size(); ++i) {
        if (headers[i].first == headers[i - 1].first)
            return make_error(Errc::precondition, "backup " + headers[i].first + " given twice");
    }
    crypto::random_fill(request.id);
    request.vault_id = std::string(vault_id);
    request.old_policy = std::string(old_policy);
    request.requester = std::move(requester);
    request.reason = std::move(reason);
    request.created = now;
    request.expires = now + lifetime;
    request.new_policy = std::move(policy);
    for (auto& [id, text] : headers) {
        TRY_ASSIGN(vault::EnvelopeHeader parsed, restore::parse_embedded_header(text, "envelope"));
        request.headers.push_back(std::move(parsed));
        request.envelope_headers.push_back(std::move(text));
    }
    crypto::KeyPair pair = crypto::generate_keypair();
    request.ephemeral_key = pair.public_key;
    out.secret_key = std::move(pair.secret_key);
    return out;
}

std::string serialise_rekey_request(const RekeyRequest& request) {
    std::string out(k_rekey_request_magic);
    out += "\nrequest: " + restore::request_id_hex(request.id) + "\n";
    out += "vault: " + request.vault_id + "\n";
    out += "old-policy: " + request.old_policy + "\n";
    out += "new-policy: " + request.new_policy_fingerprint() + "\n";
    out += "requester: " + request.requester + "\n";
    out += request.reason.empty() ? std::string("reason:\n") : "reason: " + request.reason + "\n";
    out += "created: " + vault::format_time(request.created) + "\n";
    out += "expires: " + vault::format_time(request.expires) + "\n";
    out += "ephemeral-key: x25519 " + to_base64(request.ephemeral_key) + "\n";
    const std::string block = request.new_policy.serialise();
    out += "new-policy-block: " + std::to_string(block.size()) + "\n" + block;
    out += header_list(request.envelope_headers);
    return restore::with_checksum(std::move(out));
}

Result<RekeyRequest> parse_rekey_request(ByteView file, std::string_view source) {
    const std::string where(source);
    TRY_ASSIGN(Reader in, open_ceremony_file(file, source, k_max_rekey_request_size,
                                             k_rekey_request_magic, "rekey request"));
    RekeyRequest request;
    TRY_ASSIGN(const std::string_view id, in.field("request"));
    TRY(parse_fixed_hex(id, request.id, where + ": request"));
    TRY_ASSIGN(const std::string_view vault_id, in.field("vault"));
    TRY(vault::check_hex(vault_id, 16, where + ": vault"));
    request.vault_id = std::string(vault_id);
    TRY_ASSIGN(const std::string_view old_policy, in.field("old-policy"));
    TRY(vault::check_policy_fingerprint(old_policy));
    request.old_policy = std::string(old_policy);
    TRY_ASSIGN(const std::string_view new_policy, in.field("new-policy"));
    TRY_ASSIGN(const std::string_view requester, in.field("requester"));
    TRY(vault::check_token(requester, where + ": requester"));
    request.requester = std::string(requester);
    TRY_ASSIGN(const std::string_view reason, in.field("reason"));
    if (!reason.empty())
        TRY(vault::check_text(reason, where + ": reason"));
    request.reason = std::string(reason);
    TRY_ASSIGN(const std::string_view created, in.field("created"));
    TRY_ASSIGN(request.created, vault::parse_time(created, where + ": created"));
    TRY_ASSIGN(const std::string_view expires, in.field("expires"));
    TRY_ASSIGN(request.expires, vault::parse_time(expires, where + ": expires"));
    if (request.expires <= request.created || request.expires - request.created > k_max_lifetime)
        return in.error("expires", "must be after created and at most 30 days later");
    TRY_ASSIGN(const std::string_view key, in.field("ephemeral-key"));
    if (key.substr(0, 7) != "x25519 ")
        return in.error("ephemeral-key", "expected 'x25519 <base64>'");
    auto key_bytes = from_base64(key.substr(7), "ephemeral-key");
    if (!key_bytes || key_bytes->size() != request.ephemeral_key.size())
        return in.error("ephemeral-key", "expected the base64 of 32 bytes");
    std::copy(key_bytes->begin(), key_bytes->end(), request.ephemeral_key.begin());
    TRY_ASSIGN(const std::string_view block, in.blob("new-policy-block", vault::k_max_config_size));
    TRY_ASSIGN(request.new_policy, vault::parse_policy(block, where + ": new-policy-block"));
    if (request.new_policy.fingerprint() != new_policy)
        return in.error("new-policy", "is not the fingerprint of the embedded policy block");
    if (request.new_policy.fingerprint() == request.old_policy)
        return in.error("new-policy", "is the old policy");
    TRY_ASSIGN(const std::size_t backups, in.count("backups", k_max_rekey_backups));
    if (backups == 0)
        return in.error("backups", "a rekey request covers at least one backup");
    for (std::size_t i = 0; i < backups; ++i) {
        TRY_ASSIGN(const std::string_view header_text,
                   in.blob("envelope-header", vault::k_max_header_size));
        TRY_ASSIGN(vault::EnvelopeHeader header,
                   restore::parse_embedded_header(header_text, source));
        const std::string backup = vault::backup_id_hex(header.backup_id);
        if (header.vault_id_hex() != request.vault_id ||
            header.policy_fingerprint != request.old_policy) {
            return in.error("envelope-header", "backup " + backup +
                                                   " is not sealed for the request's vault to its "
                                                   "old policy");
        }
        if (!request.headers.empty() && !(request.headers.back().backup_id < header.backup_id)) {
            return in.error("envelope-header", "backup " + backup + " is out of order or repeated");
        }
        request.headers.push_back(std::move(header));
        request.envelope_headers.emplace_back(header_text);
    }
    if (!in.at_end())
        return in.error("checksum", "unexpected lines before the checksum");
    if (serialise_rekey_request(request) != as_text(file))
        return make_error(Errc::parse, where + ": rekey request is not in canonical form");
    return request;
}

crypto::Digest rekey_digest(const RekeyRequest& request) {
    return crypto::sha256(as_bytes(serialise_rekey_request(request)));
}

std::string rekey_fingerprint(const RekeyRequest& request) {
    const crypto::Digest digest = rekey_digest(request);
    const std::string hex = to_hex(ByteView(digest.data(), 16));
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 4)
        out += (i == 0 ? "" : "-") + hex.substr(i, 4);
    return out;
}

Status check_rekey_request_current(const RekeyRequest& request, std::int64_t now) {
    const std::string id = restore::request_id_hex(request.id);
    if (now >= request.expires) {
        return make_error(
            Errc::precondition,
            "rekey request " + id + " expired at " + vault::format_time(request.expires),
            "make a new one with 'ssoescrow rekey request' and ask the custodians "
            "again");
    }
    if (request.created > now + k_future_tolerance) {
        return make_error(Errc::precondition,
                          "rekey request " + id + " was created at " +
                              vault::format_time(request.created) +
                              ", in the future of this computer's clock",
                          "check the clocks of this computer and the requester's");
    }
    return {};
}

Status check_rekey_key(const RekeyRequest& request, const restore::RequestKey& key,
                       std::string_view source) {
    if (key.request != request.id) {
        return make_error(Errc::share_mismatch,
                          std::string(source) + " is the key of request " +
                              restore::request_id_hex(key.request) + ", not of rekey request " +
                              restore::request_id_hex(request.id),
                          "give the key written together with this rekey request");
    }
    TRY_ASSIGN(const crypto::PublicKey derived, crypto::public_key_of(key.secret_key));
    if (!crypto::constant_time_equal(derived, key.public_key) ||
        !crypto::constant_time_equal(derived, request.ephemeral_key)) {
        return make_error(Errc::share_mismatch,
                          std::string(source) + " does not hold the rekey request's key");
    }
    return {};
}

std::string RekeyApproval::describe() const {
    return "custodian '" + label + "' (" + custodian + ")";
}

const vault::EnvelopeHeader* CoveredHeaders::find(const vault::BackupId& id) const {
    for (const vault::EnvelopeHeader& h : headers) {
        if (h.backup_id == id)
            return &h;
    }
    return nullptr;
}

const std::string* CoveredHeaders::text_of(const vault::BackupId& id) const {
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (headers[i].backup_id == id)
            return &texts[i];
    }
    return nullptr;
}

CoveredHeaders covered_headers(const RekeyRequest& request) {
    return {request.envelope_headers, request.headers};
}

Result<PendingHeaders> pending_headers(std::span<const Bytes> envelopes) {
    std::vector<std::pair<std::string, std::string>> texts;  // backup id hex -> header bytes
    for (const Bytes& file : envelopes) {
        TRY_ASSIGN(const vault::EnvelopeHeader header, vault::parse_envelope_header(file));
        texts.emplace_back(vault::backup_id_hex(header.backup_id),
                           std::string(as_text(ByteView(file).subspan(0, header.header_size))));
    }
    std::sort(texts.begin(), texts.end());
    PendingHeaders out;
    for (auto& [id, text] : texts) {
        TRY_ASSIGN(vault::EnvelopeHeader parsed, restore::parse_embedded_header(text, "envelope"));
        out.headers.push_back(std::move(parsed));
        out.texts.push_back(std::move(text));
    }
    return out;
}

namespace {

std::string serialise_share_file(const ShareFileKind& kind, const RekeyApproval& file) {
    std::string out(kind.magic);
    out += "\nrequest: " + restore::request_id_hex(file.request) + "\n";
    out += "request-sha256: " + to_hex(file.request_sha256) + "\n";
    out += "vault: " + file.vault_id + "\n";
    out += "custodian: " + file.custodian + "\n";
    out += "label: " + file.label + "\n";
    out += std::string(kind.time_field) + ": " + vault::format_time(file.approved) + "\n";
    out += "shares: " + std::to_string(file.shares.size()) + "\n";
    for (const RekeyShare& share : file.shares) {
        out += "share: " + vault::backup_id_hex(share.backup_id) + " " + hex_byte(share.x) + " " +
               to_base64(share.wrapped) + "\n";
    }
    return restore::with_checksum(std::move(out));
}

Result<RekeyApproval> parse_share_file(const ShareFileKind& kind, ByteView file,
                                       std::string_view source) {
    const std::string where(source);
    TRY_ASSIGN(Reader in,
               open_ceremony_file(file, source, k_max_rekey_approval_size, kind.magic, kind.noun));
    RekeyApproval approval;
    TRY_ASSIGN(const std::string_view id, in.field("request"));
    TRY(parse_fixed_hex(id, approval.request, where + ": request"));
    TRY_ASSIGN(const std::string_view digest, in.field("request-sha256"));
    TRY(parse_fixed_hex(digest, approval.request_sha256, where + ": request-sha256"));
    TRY_ASSIGN(const std::string_view vault_id, in.field("vault"));
    TRY(vault::check_hex(vault_id, 16, where + ": vault"));
    approval.vault_id = std::string(vault_id);
    TRY_ASSIGN(const std::string_view custodian, in.field("custodian"));
    if (!vault::is_fingerprint_text(custodian))
        return in.error("custodian", "expected a recipient fingerprint");
    approval.custodian = std::string(custodian);
    TRY_ASSIGN(const std::string_view label, in.field("label"));
    TRY(crypto::check_label(label));
    approval.label = std::string(label);
    TRY_ASSIGN(const std::string_view time, in.field(kind.time_field));
    TRY_ASSIGN(approval.approved,
               vault::parse_time(time, where + ": " + std::string(kind.time_field)));
    TRY_ASSIGN(const std::size_t shares, in.count("shares", k_max_rekey_backups));
    for (std::size_t i = 0; i < shares; ++i) {
        TRY_ASSIGN(const std::string_view line, in.field("share"));
        RekeyShare share;
        if (line.size() < 36 || line[32] != ' ' || line[35] != ' ')
            return in.error("share", "expected '<backup id> <x> <wrapped share>'");
        TRY(parse_fixed_hex(line.substr(0, 32), share.backup_id, where + ": share"));
        std::array<std::uint8_t, 1> x{};
        TRY(parse_fixed_hex(line.substr(33, 2), x, where + ": share x"));
        share.x = x[0];
        auto wrapped = from_base64(line.substr(36), "share");
        if (share.x == 0 || !wrapped || wrapped->size() != vault::k_wrapped_share_size)
            return in.error("share", "expected x 01..ff and a wrapped share of 104 bytes");
        share.wrapped = std::move(wrapped).value();
        if (!approval.shares.empty() && !(approval.shares.back().backup_id < share.backup_id))
            return in.error("share", "backups out of order or repeated");
        approval.shares.push_back(std::move(share));
    }
    if (!in.at_end())
        return in.error("checksum", "unexpected lines before the checksum");
    if (serialise_share_file(kind, approval) != as_text(file)) {
        return make_error(Errc::parse,
                          where + ": " + std::string(kind.noun) + " is not in canonical form");
    }
    return approval;
}

Bytes share_context(const ShareFileKind& kind, const RekeyRequest& request,
                    const CoveredHeaders& covered, const vault::EnvelopeHeader& header,
                    std::string_view fingerprint, std::uint8_t x) {
    Bytes context = to_bytes(kind.context_label);
    context.push_back(0);
    context.push_back(k_share_context_version);
    const crypto::Digest digest = rekey_digest(request);
    context.insert(context.end(), digest.begin(), digest.end());
    context.insert(context.end(), request.id.begin(), request.id.end());
    const Bytes vault_id = vault_id_bytes(request.vault_id);
    context.insert(context.end(), vault_id.begin(), vault_id.end());
    context.insert(context.end(), header.backup_id.begin(), header.backup_id.end());
    // The header exactly as the custodian saw it (in the request, or in the pending envelope).
    crypto::Digest header_sha{};
    if (const std::string* text = covered.text_of(header.backup_id))
        header_sha = crypto::sha256(as_bytes(*text));
    context.insert(context.end(), header_sha.begin(), header_sha.end());
    context.push_back(static_cast<std::uint8_t>(header.threshold));
    context.push_back(x);
    const Bytes fpr = to_bytes(fingerprint);
    context.insert(context.end(), fpr.begin(), fpr.end());
    return context;
}

// The custodian's side of either file: every covered header with a stanza for `identity` is
// opened (commitment checked) and its share re-wrapped to the request's one-time key.
Result<RekeyApproval> wrap_shares(const ShareFileKind& kind, const RekeyRequest& request,
                                  const CoveredHeaders& covered, const crypto::Identity& identity,
                                  std::int64_t now) {
    TRY(check_rekey_request_current(request, now));
    const std::string fingerprint = identity.recipient.fingerprint();
    RekeyApproval approval;
    approval.request = request.id;
    approval.request_sha256 = rekey_digest(request);
    approval.vault_id = request.vault_id;
    approval.custodian = fingerprint;
    approval.label = identity.recipient.label;
    approval.approved = now;
    for (const vault::EnvelopeHeader& header : covered.headers) {
        if (!vault::find_stanza(header, fingerprint))
            continue;  // sealed before this custodian joined: the others approve it
        TRY_ASSIGN(vault::CustodianShare share, vault::open_stanza(header, identity));
        RekeyShare out;
        out.backup_id = header.backup_id;
        out.x = share.share.x;
        TRY_ASSIGN(out.wrapped,
                   crypto::wrap_to_recipient(
                       request.ephemeral_key, share.share.y.view(),
                       share_context(kind, request, covered, header, fingerprint, out.x)));
        approval.shares.push_back(std::move(out));
    }
    return approval;
}

// One approval or proof on its own: its bindings, then every share.
Result<std::vector<std::pair<vault::BackupId, vault::CustodianShare>>> open_one(
    const ShareFileKind& kind, const RekeyRequest& request, const CoveredHeaders& covered,
    const restore::RequestKey& key, const ApprovalFile& file) {
    TRY_ASSIGN(const RekeyApproval approval, parse_share_file(kind, file.bytes, file.source));
    const std::string who = file.source + " (" + approval.describe() + ")";
    const std::string id = restore::request_id_hex(request.id);
    if (approval.request != request.id) {
        return make_error(Errc::share_mismatch,
                          who + (&kind == &k_proof_kind ? " proves" : " approves") +
                              " another rekey request (" +
                              restore::request_id_hex(approval.request) + "), not " + id,
                          "a stale ceremony: ask this custodian for one of request " + id);
    }
    if (approval.vault_id != request.vault_id)
        return make_error(Errc::share_mismatch, who + " is for vault " + approval.vault_id);
    if (approval.request_sha256 != rekey_digest(request)) {
        return make_error(Errc::share_mismatch,
                          who + " was made for another version of rekey request " + id +
                              ": the request was edited after it was approved",
                          "use the request file exactly as the custodians approved it");
    }
    std::vector<std::pair<vault::BackupId, vault::CustodianShare>> out;
    for (const RekeyShare& share : approval.shares) {
        const vault::EnvelopeHeader* header = covered.find(share.backup_id);
        const std::string backup = vault::backup_id_hex(share.backup_id);
        if (header == nullptr) {
            if (&kind == &k_proof_kind)
                continue;  // a pending backup dropped since (pruned): its share is not needed
            return make_error(Errc::share_mismatch, who + " holds a share of backup " + backup +
                                                        ", which the request does not cover");
        }
        auto stanza = vault::find_stanza(*header, approval.custodian);
        if (!stanza || stanza.value()->x != share.x) {
            return make_error(Errc::share_mismatch,
                              who + ": backup " + backup +
                                  " has no stanza for this custodian with this x: only the "
                                  "custodians a backup was sealed to can open it");
        }
        auto y = crypto::unwrap_with_identity(
            key.secret_key, key.public_key, share.wrapped,
            share_context(kind, request, covered, *header, approval.custodian, share.x));
        if (!y) {
            return make_error(
                Errc::auth_failed,
                who + " is corrupt: its share of backup " + backup +
                    " does not open with this request's key",
                "ask this custodian for a new " + std::string(kind.noun) + " of this request");
        }
        vault::CustodianShare opened{approval.custodian,
                                     crypto::shamir::Share{share.x, std::move(y).value()}};
        TRY(vault::check_custodian_share(*header, opened));
        out.emplace_back(share.backup_id, std::move(opened));
    }
    return out;
}

// Every file on its own (every bad one named in one error), then enough distinct custodians per
// covered header.
Result<std::vector<BackupShares>> open_share_files(const ShareFileKind& kind,
                                                   const RekeyRequest& request,
                                                   const CoveredHeaders& covered,
                                                   const restore::RequestKey& key,
                                                   std::span<const ApprovalFile> files,
                                                   std::string_view too_few_hint) {
    const std::string plural = &kind == &k_proof_kind ? "proofs" : "approvals";
    std::map<vault::BackupId, std::map<std::string, vault::CustodianShare>> by_backup;
    std::string bad;
    Errc first = Errc::share_mismatch;
    std::string good;
    for (const ApprovalFile& file : files) {
        auto opened = open_one(kind, request, covered, key, file);
        if (!opened) {
            if (bad.empty())
                first = opened.error().code;
            bad += (bad.empty() ? "" : "; ") + opened.error().message;
            continue;
        }
        good += (good.empty() ? "" : ", ") + file.source;
        for (auto& [backup, share] : *opened)
            by_backup[backup].emplace(share.recipient_fingerprint, std::move(share));
    }
    if (!bad.empty()) {
        return make_error(first, bad,
                          good.empty() ? "no " + std::string(kind.noun) + " is usable"
                                       : "these " + plural + " are good: " + good);
    }
    std::vector<BackupShares> out;
    for (const vault::EnvelopeHeader& header : covered.headers) {
        BackupShares shares;
        shares.backup_id = header.backup_id;
        for (auto& [custodian, share] : by_backup[header.backup_id])
            shares.shares.push_back(std::move(share));
        if (shares.shares.size() < header.threshold) {
            return make_error(Errc::too_few_shares,
                              "need " + std::to_string(header.threshold) + " " + plural +
                                  " for backup " + vault::backup_id_hex(header.backup_id) +
                                  ", have " + std::to_string(shares.shares.size()),
                              std::string(too_few_hint));
        }
        out.push_back(std::move(shares));
    }
    return out;
}

}  // namespace

std::string serialise_rekey_approval(const RekeyApproval& approval) {
    return serialise_share_file(k_approval_kind, approval);
}

Result<RekeyApproval> parse_rekey_approval(ByteView file, std::string_view source) {
    return parse_share_file(k_approval_kind, file, source);
}

std::string serialise_rekey_proof(const RekeyApproval& proof) {
    return serialise_share_file(k_proof_kind, proof);
}

Result<RekeyApproval> parse_rekey_proof(ByteView file, std::string_view source) {
    return parse_share_file(k_proof_kind, file, source);
}

Bytes rekey_share_context(const RekeyRequest& request, const vault::EnvelopeHeader& header,
                          std::string_view fingerprint, std::uint8_t x) {
    return share_context(k_approval_kind, request, covered_headers(request), header, fingerprint,
                         x);
}

Result<RekeyApproval> approve_rekey(const RekeyRequest& request, const crypto::Identity& identity,
                                    std::int64_t now) {
    TRY_ASSIGN(RekeyApproval approval,
               wrap_shares(k_approval_kind, request, covered_headers(request), identity, now));
    if (approval.shares.empty()) {
        return make_error(Errc::not_found,
                          "identity " + approval.custodian +
                              " has no share of any backup of rekey request " +
                              restore::request_id_hex(request.id),
                          "only custodians of the old policy approve a rekey");
    }
    return approval;
}

Result<RekeyApproval> prove_rekey(const RekeyRequest& request, const PendingHeaders& pending,
                                  const crypto::Identity& identity, std::int64_t now) {
    TRY_ASSIGN(RekeyApproval proof,
               wrap_shares(k_proof_kind, request, CoveredHeaders{pending.texts, pending.headers},
                           identity, now));
    if (proof.shares.empty()) {
        return make_error(Errc::not_found,
                          "identity " + proof.custodian +
                              " has no share of any pending envelope of rekey request " +
                              restore::request_id_hex(request.id),
                          "only custodians of the new policy prove a rekey");
    }
    return proof;
}

Result<std::vector<BackupShares>> open_rekey_approvals(const RekeyRequest& request,
                                                       const restore::RequestKey& key,
                                                       std::span<const ApprovalFile> approvals,
                                                       std::int64_t now) {
    TRY(check_rekey_request_current(request, now));
    return open_share_files(k_approval_kind, request, covered_headers(request), key, approvals,
                            "ask more custodians of the old policy to approve the rekey request");
}

Result<std::vector<BackupShares>> open_rekey_proofs(const RekeyRequest& request,
                                                    const restore::RequestKey& key,
                                                    const PendingHeaders& pending,
                                                    std::span<const ApprovalFile> proofs,
                                                    std::int64_t now) {
    TRY(check_rekey_request_current(request, now));
    return open_share_files(k_proof_kind, request, CoveredHeaders{pending.texts, pending.headers},
                            key, proofs,
                            "ask more custodians of the new policy to run 'ssoescrow rekey "
                            "prove' against the pending envelopes");
}

}  // namespace ssoescrow::rekey
