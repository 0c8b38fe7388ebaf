#include "vault/policy.hpp"

#include <algorithm>
#include <stdexcept>

#include "crypto/hash.hpp"
#include "vault/envelope_text.hpp"

namespace ssoescrow::vault {
namespace {

using envelope_text::LineReader;

// A recipient line is at most 512 bytes (crypto::parse_recipient); "recipient: " adds 11.
constexpr std::size_t k_max_policy_line_size = 600;

std::string name_of(const crypto::Recipient& recipient) {
    return "recipient '" + recipient.label + "' (" + recipient.fingerprint() + ")";
}

void sort_signers(std::vector<crypto::Signer>& signers) {
    std::stable_sort(signers.begin(), signers.end(),
                     [](const crypto::Signer& a, const crypto::Signer& b) {
                         return a.fingerprint() < b.fingerprint();
                     });
}

void sort_recipients(std::vector<crypto::Recipient>& recipients) {
    std::stable_sort(recipients.begin(), recipients.end(),
                     [](const crypto::Recipient& a, const crypto::Recipient& b) {
                         return a.fingerprint() < b.fingerprint();
                     });
}

// "ssoescrow-recipient/1 x25519 <44 base64 characters ending in '='> ...": the key field of a
// 32-byte key has 43 significant characters and one '=' of padding.
Status check_recipient_key_field(std::string_view line) {
    std::size_t first = line.find(' ');
    std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos) {
        return {};  // not a recipient line at all: parse_recipient says so
    }
    std::string_view key = line.substr(second + 1);
    key = key.substr(0, key.find(' '));
    if (key.size() != 44 || key[42] == '=' || key[43] != '=') {
        return make_error(Errc::parse, "the public key is not the base64 of 32 bytes");
    }
    return {};
}

}  // namespace

Status EscrowPolicy::validate() const {
    const std::size_t n = recipients.size();
    if (n == 0) {
        return make_error(Errc::invalid_argument, "the escrow policy has no recipients",
                          "give each custodian's recipient file with --recipient");
    }
    if (n > k_max_recipients) {
        return make_error(Errc::limit_exceeded,
                          "the escrow policy has " + std::to_string(n) + " recipients, at most " +
                              std::to_string(k_max_recipients) + " are allowed");
    }
    if (threshold == 0) {
        return make_error(Errc::invalid_argument, "threshold 0: at least 1 custodian is needed");
    }
    if (threshold == 1 && !allow_single_custodian) {
        return make_error(Errc::invalid_argument,
                          "threshold 1 lets any single custodian open every backup alone",
                          "use a threshold of at least 2, or pass --allow-single-custodian if "
                          "that is really intended");
    }
    if (threshold > n) {
        return make_error(Errc::invalid_argument, "threshold " + std::to_string(threshold) +
                                                      " is larger than the " + std::to_string(n) +
                                                      " recipient" + (n == 1 ? "" : "s") +
                                                      ": no backup could ever be opened");
    }
    for (const auto& recipient : recipients) {
        if (recipient.type != "x25519") {
            return make_error(
                Errc::invalid_argument,
                "recipient '" + recipient.label + "': unsupported type '" + recipient.type + "'");
        }
        if (auto label = crypto::check_label(recipient.label); !label) {
            return make_error(Errc::invalid_argument, "recipient " + recipient.fingerprint() +
                                                          ": " + label.error().message);
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            if (recipients[i].public_key == recipients[j].public_key) {
                return make_error(Errc::invalid_argument,
                                  "duplicate recipient: " + name_of(recipients[i]) + " and " +
                                      name_of(recipients[j]) + " are the same public key",
                                  "give each custodian's recipient file once");
            }
        }
    }
    if (signers.empty()) {
        return make_error(Errc::invalid_argument,
                          "the escrow policy has no signer: no backup could ever be verified",
                          "include this host's signer (the default of 'vault init') or give "
                          "--signer FILE");
    }
    if (signers.size() > k_max_signers) {
        return make_error(Errc::limit_exceeded, "the escrow policy has " +
                                                    std::to_string(signers.size()) +
                                                    " signers, at most " +
                                                    std::to_string(k_max_signers) + " are allowed");
    }
    for (std::size_t i = 0; i < signers.size(); ++i) {
        if (auto label = crypto::check_label(signers[i].label); !label) {
            return make_error(Errc::invalid_argument,
                              "signer " + signers[i].fingerprint() + ": " + label.error().message);
        }
        for (std::size_t j = i + 1; j < signers.size(); ++j) {
            if (signers[i].public_key == signers[j].public_key) {
                return make_error(Errc::invalid_argument,
                                  "duplicate signer: " + signers[i].describe() + " and " +
                                      signers[j].describe() + " are the same public key",
                                  "give each signer once");
            }
        }
    }
    return {};
}

Result<EscrowPolicy> EscrowPolicy::normalised() const {
    TRY(validate());
    EscrowPolicy out = *this;
    sort_recipients(out.recipients);
    sort_signers(out.signers);
    return out;
}

const crypto::Signer* EscrowPolicy::find_signer(std::string_view fingerprint) const noexcept {
    for (const crypto::Signer& signer : signers) {
        if (signer.fingerprint() == fingerprint)
            return &signer;
    }
    return nullptr;
}

std::string EscrowPolicy::serialise() const {
    auto checked = normalised();
    if (!checked) {
        throw std::logic_error("EscrowPolicy::serialise on an invalid policy: " +
                               checked.error().message);
    }
    const EscrowPolicy& policy = checked.value();
    std::string text = std::string(k_policy_magic) + "\n";
    text += "threshold: " + std::to_string(policy.threshold) + "\n";
    if (policy.threshold == 1) {
        text += "single-custodian: allowed\n";
    }
    text += "recipients: " + std::to_string(policy.recipients.size()) + "\n";
    for (const auto& recipient : policy.recipients) {
        text += "recipient: " + recipient.to_line() + "\n";
    }
    text += "signers: " + std::to_string(policy.signers.size()) + "\n";
    for (const auto& signer : policy.signers) {
        text += "signer: " + signer.to_line() + "\n";
    }
    return text;
}

std::string EscrowPolicy::fingerprint() const {
    std::string text = serialise();
    return std::string(k_policy_fingerprint_prefix) + to_hex(crypto::sha256(as_bytes(text)));
}

Result<ParsedPolicyPrefix> parse_policy_prefix(std::string_view text, std::string_view source) {
    const std::string src = std::string(source) + ": escrow policy";
    LineReader reader(text, src, k_max_policy_line_size);

    TRY_ASSIGN(std::string_view magic, reader.next_line("version"));
    constexpr std::string_view magic_prefix = "ssoescrow-policy/";
    if (magic != k_policy_magic) {
        if (magic.substr(0, magic_prefix.size()) == magic_prefix) {
            const std::string version(magic.substr(magic_prefix.size(), 32));
            return reader.error(
                Errc::unsupported_version, "version", "unsupported version " + version,
                version == "1" ? "a version 1 policy lists no signers, so none of its "
                                 "backups could be verified; create the vault again with "
                                 "'ssoescrow vault init'"
                               : "this vault was written by a newer ssoescrow; upgrade");
        }
        return reader.error(Errc::parse, "version",
                            "expected '" + std::string(k_policy_magic) + "'");
    }

    ParsedPolicyPrefix out;
    EscrowPolicy& policy = out.policy;
    TRY_ASSIGN(std::string_view threshold_text, reader.field("threshold"));
    auto threshold = envelope_text::parse_decimal(threshold_text, k_max_recipients, "threshold");
    if (!threshold) {
        return reader.error(threshold.error().code, "threshold", threshold.error().message);
    }
    policy.threshold = static_cast<unsigned>(threshold.value());
    if (policy.threshold == 1) {
        TRY_ASSIGN(std::string_view allowed, reader.field("single-custodian"));
        if (allowed != "allowed") {
            return reader.error(Errc::parse, "single-custodian", "expected 'allowed'");
        }
        policy.allow_single_custodian = true;
    }

    TRY_ASSIGN(std::string_view count_text, reader.field("recipients"));
    auto count = envelope_text::parse_decimal(count_text, k_max_recipients, "recipients");
    if (!count) {
        return reader.error(count.error().code, "recipients", count.error().message);
    }
    if (count.value() == 0) {
        return reader.error(Errc::parse, "recipients", "the policy has no recipients");
    }
    policy.recipients.reserve(count.value());
    for (std::uint64_t i = 0; i < count.value(); ++i) {
        TRY_ASSIGN(std::string_view line, reader.field("recipient"));
        const std::string where = src + " line " + std::to_string(reader.line_number());
        // The public key field must be the base64 of exactly 32 bytes (44 characters ending in
        // one '='); checked here too so that no other length ever reaches the key parser.
        if (auto key_ok = check_recipient_key_field(line); !key_ok) {
            return reader.error(Errc::parse, "recipient", key_ok.error().message);
        }
        TRY_ASSIGN(crypto::Recipient recipient, crypto::parse_recipient(line, where));
        if (!policy.recipients.empty()) {
            const crypto::Recipient& previous = policy.recipients.back();
            if (previous.public_key == recipient.public_key) {
                return reader.error(Errc::invalid_argument, "recipient",
                                    "duplicate recipient: " + name_of(previous) + " and " +
                                        name_of(recipient) + " are the same public key");
            }
            if (!(previous.fingerprint() < recipient.fingerprint())) {
                return reader.error(Errc::parse, "recipient",
                                    "recipients are not in ascending fingerprint order");
            }
        }
        policy.recipients.push_back(std::move(recipient));
    }

    TRY_ASSIGN(std::string_view signers_text, reader.field("signers"));
    auto signer_count = envelope_text::parse_decimal(signers_text, k_max_signers, "signers");
    if (!signer_count) {
        return reader.error(signer_count.error().code, "signers", signer_count.error().message);
    }
    if (signer_count.value() == 0) {
        return reader.error(Errc::parse, "signers", "the policy has no signer");
    }
    policy.signers.reserve(signer_count.value());
    for (std::uint64_t i = 0; i < signer_count.value(); ++i) {
        TRY_ASSIGN(std::string_view line, reader.field("signer"));
        const std::string where = src + " line " + std::to_string(reader.line_number());
        TRY_ASSIGN(crypto::Signer signer, crypto::parse_signer(line, where));
        if (!policy.signers.empty()) {
            const crypto::Signer& previous = policy.signers.back();
            if (previous.public_key == signer.public_key) {
                return reader.error(Errc::invalid_argument, "signer",
                                    "duplicate signer: " + previous.describe() + " and " +
                                        signer.describe() + " are the same public key");
            }
            if (!(previous.fingerprint() < signer.fingerprint())) {
                return reader.error(Errc::parse, "signer",
                                    "signers are not in ascending fingerprint order");
            }
        }
        policy.signers.push_back(std::move(signer));
    }
    if (auto valid = policy.validate(); !valid) {
        return with_context(std::move(valid).error(), src);
    }
    out.consumed = reader.offset();
    return out;
}

Result<EscrowPolicy> parse_policy(std::string_view text, std::string_view source) {
    TRY_ASSIGN(ParsedPolicyPrefix parsed, parse_policy_prefix(text, source));
    if (parsed.consumed != text.size()) {
        return make_error(Errc::parse, std::string(source) +
                                           ": escrow policy: unexpected data after the " +
                                           "last signer line");
    }
    return std::move(parsed.policy);
}

Status check_policy_fingerprint(std::string_view text) {
    auto bad = [&]() {
        // Built front to back: `"'" + std::string(...)` inserts at position 0 of a temporary, in
        // which GCC 12 at -O3 sees a memcpy overlap that cannot happen (-Wrestrict, GCC bug
        // 105651).
        std::string message = "'";
        message.append(text.substr(0, 100));
        message += "' is not a policy fingerprint";
        return make_error(Errc::usage, message,
                          "copy the 'sha256:...' fingerprint printed by 'ssoescrow vault init'");
    };
    if (text.size() != k_policy_fingerprint_size ||
        text.substr(0, k_policy_fingerprint_prefix.size()) != k_policy_fingerprint_prefix) {
        return bad();
    }
    for (char c : text.substr(k_policy_fingerprint_prefix.size())) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return bad();
        }
    }
    return {};
}

}  // namespace ssoescrow::vault
