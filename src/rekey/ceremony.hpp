// The rekey ceremony's files: the rekey request (public) and the custodians' rekey approvals.
// Byte-level spec: vault/FORMAT.md 4.10. The request key (RKREQ.key) is the restore request key
// format (src/restore/request.hpp) with the rekey request's id.
//
// A rekey request lists the old and the new escrow policy and carries the header of every backup
// it covers; each old custodian, offline, re-wraps their share of every covered backup to the
// request's one-time key: one approval per custodian. An approval opens only for this request
// file exactly (its SHA-256 is in every share's associated data), this vault, backup, header,
// threshold, x and custodian, and never as a restore approval: the version lines differ and the
// associated data starts with another label ("ssoescrow/1 rekey-approval"), so a restore approval
// cannot serve a rekey, nor a rekey approval a restore.
//
// Request:
//   ssoescrow-rekey-request/1
//   request: <32 lower hex>                 the ceremony's nonce
//   vault: <32 lower hex>
//   old-policy: sha256:<64 hex>             the vault's policy when requested
//   new-policy: sha256:<64 hex>             the fingerprint of the embedded block
//   requester: <token>                      untrusted
//   reason: <text> | "reason:"              untrusted
//   created: <time>
//   expires: <time>                         created < expires <= created + 30 days
//   ephemeral-key: x25519 <base64 of 32 bytes>
//   new-policy-block: <P>                   then P bytes: the new policy block, verbatim
//   backups: <B>                            1..k_max_rekey_backups
//   B times: envelope-header: <H>           then H bytes: the header, ascending backup id
//   checksum: <64 lower hex>                SHA-256 of every byte before this line
//
// Approval:
//   ssoescrow-rekey-approval/1
//   request: / request-sha256: / vault:
//   custodian: <recipient fingerprint>
//   label: <the custodian's label>          untrusted
//   approved: <time>
//   shares: <S>
//   S times: share: <backup id> <x, 2 hex> <wrapped, base64 of 104 bytes>   ascending backup id
//   checksum: <64 lower hex>
//
// Proof (`rekey apply --verify-custodians`): the same lines as an approval under the version line
// ssoescrow-rekey-proof/1, with "proved:" for "approved:"; one per new custodian, whose shares
// are those of the *pending* envelopes (VAULT/rekey/), re-wrapped to the request's one-time key
// with the label "ssoescrow/1 rekey-proof". The operator combines K2 of them and opens every
// pending envelope before the commit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/custodian_key.hpp"
#include "crypto/hash.hpp"
#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"
#include "crypto/x25519.hpp"
#include "src/restore/request.hpp"
#include "vault/envelope.hpp"
#include "vault/policy.hpp"

namespace ssoescrow::rekey {

inline constexpr std::string_view k_rekey_request_magic = "ssoescrow-rekey-request/1";
inline constexpr std::string_view k_rekey_approval_magic = "ssoescrow-rekey-approval/1";
inline constexpr std::string_view k_rekey_proof_magic = "ssoescrow-rekey-proof/1";
inline constexpr std::size_t k_max_rekey_request_size = 64u << 20;
inline constexpr std::size_t k_max_rekey_approval_size = 1u << 20;
inline constexpr std::size_t k_max_rekey_backups = 4096;

struct RekeyRequest {
    restore::RequestId id{};
    std::string vault_id;    // 32 lower hex
    std::string old_policy;  // "sha256:..."
    std::string requester;   // untrusted
    std::string reason;      // untrusted, may be empty
    std::int64_t created = 0;
    std::int64_t expires = 0;
    crypto::PublicKey ephemeral_key{};
    vault::EscrowPolicy new_policy;
    std::vector<std::string> envelope_headers;   // verbatim, ascending backup id
    std::vector<vault::EnvelopeHeader> headers;  // parsed from envelope_headers

    std::string new_policy_fingerprint() const { return new_policy.fingerprint(); }
};

struct NewRekeyRequest {
    RekeyRequest request;
    crypto::SecretBytes secret_key;  // the ephemeral X25519 secret key (RKREQ.key)
};

// A request moving the backups whose complete envelope files are `envelopes` (their headers are
// embedded; every one sealed for `vault_id` and to `old_policy`) to `new_policy` (validated, and
// not the old policy). `lifetime`: 1 s..30 d. Fresh nonce and ephemeral key pair.
Result<NewRekeyRequest> create_rekey_request(std::span<const Bytes> envelopes,
                                             std::string_view vault_id, std::string_view old_policy,
                                             const vault::EscrowPolicy& new_policy,
                                             std::string requester, std::string reason,
                                             std::int64_t now, std::int64_t lifetime);

std::string serialise_rekey_request(const RekeyRequest& request);
// Strict: the canonical form only (serialise(parse(x)) == x); a restore request is named as
// such; "unsupported version N"; the checksum ("rekey request file is damaged"); each header
// parses (3.7) and names the request's vault and old policy.
Result<RekeyRequest> parse_rekey_request(ByteView file, std::string_view source);
// SHA-256 of the whole request file: what every rekey approval binds.
crypto::Digest rekey_digest(const RekeyRequest& request);
// 8 groups of 4 hex of the digest's first 16 bytes, compared by phone.
std::string rekey_fingerprint(const RekeyRequest& request);
// Errc::precondition when expired (now >= expires) or created more than 5 min in the future.
[[nodiscard]] Status check_rekey_request_current(const RekeyRequest& request, std::int64_t now);
// The key file must be this request's (id) and its secret must give the request's public key.
[[nodiscard]] Status check_rekey_key(const RekeyRequest& request, const restore::RequestKey& key,
                                     std::string_view source);

struct RekeyShare {
    vault::BackupId backup_id{};
    std::uint8_t x = 0;
    Bytes wrapped;  // vault::k_wrapped_share_size bytes
};

struct RekeyApproval {
    restore::RequestId request{};
    crypto::Digest request_sha256{};
    std::string vault_id;
    std::string custodian;  // recipient fingerprint
    std::string label;      // untrusted
    std::int64_t approved = 0;
    std::vector<RekeyShare> shares;  // ascending backup id

    std::string describe() const;  // "custodian 'LABEL' (FINGERPRINT)"
};

std::string serialise_rekey_approval(const RekeyApproval& approval);
// Strict, like parse_rekey_request; a restore approval is refused as such ("is a restore
// approval, not a rekey approval").
Result<RekeyApproval> parse_rekey_approval(ByteView file, std::string_view source);

std::string serialise_rekey_proof(const RekeyApproval& proof);
// Strict, like parse_rekey_approval; an approval is refused as such, and the reverse.
Result<RekeyApproval> parse_rekey_proof(ByteView file, std::string_view source);

// The headers whose shares a ceremony file carries, verbatim (the bytes the custodian saw) and
// parsed, in ascending backup id: the request's covered backups, or the pending envelopes.
struct CoveredHeaders {
    std::span<const std::string> texts;
    std::span<const vault::EnvelopeHeader> headers;

    const vault::EnvelopeHeader* find(const vault::BackupId& id) const;
    const std::string* text_of(const vault::BackupId& id) const;
};

struct PendingHeaders {
    std::vector<std::string> texts;
    std::vector<vault::EnvelopeHeader> headers;
};

// The headers of the pending envelopes (complete envelope files), sorted by backup id.
Result<PendingHeaders> pending_headers(std::span<const Bytes> envelopes);

// The associated data of one re-wrapped share (FORMAT.md 4.10).
Bytes rekey_share_context(const RekeyRequest& request, const vault::EnvelopeHeader& header,
                          std::string_view fingerprint, std::uint8_t x);

// The custodian's side: the request must be current; every covered backup with a stanza for
// `identity` is opened (commitment checked) and re-wrapped. Errc::not_found naming the identity's
// fingerprint when no covered backup was sealed to it.
Result<RekeyApproval> approve_rekey(const RekeyRequest& request, const crypto::Identity& identity,
                                    std::int64_t now);

// A new custodian's side of `--verify-custodians`: every pending envelope sealed to `identity`
// is opened (commitment checked) and its share re-wrapped. Errc::not_found when none was.
Result<RekeyApproval> prove_rekey(const RekeyRequest& request, const PendingHeaders& pending,
                                  const crypto::Identity& identity, std::int64_t now);

struct ApprovalFile {
    std::string source;  // the file name, for messages
    Bytes bytes;
};

// The shares of one covered backup, one per distinct custodian, enough for its threshold.
struct BackupShares {
    vault::BackupId backup_id{};
    std::vector<vault::CustodianShare> shares;
};

// The operator's side: every approval is parsed and checked on its own (bound to this request id,
// digest and vault; its custodian has a stanza with that x in each header it covers; each share
// opens with the request key and matches its commitment); every bad one is named in one error.
// Then, per covered backup, fewer distinct custodians than its threshold is Errc::too_few_shares
// ("need K approvals for backup ..., have M"). Nothing is combined here.
Result<std::vector<BackupShares>> open_rekey_approvals(const RekeyRequest& request,
                                                       const restore::RequestKey& key,
                                                       std::span<const ApprovalFile> approvals,
                                                       std::int64_t now);

// The operator's side of the proofs: like open_rekey_approvals, against the pending envelopes'
// headers and the new threshold; shares of a header not in `pending` (a backup dropped since,
// because it was pruned) are ignored.
Result<std::vector<BackupShares>> open_rekey_proofs(const RekeyRequest& request,
                                                    const restore::RequestKey& key,
                                                    const PendingHeaders& pending,
                                                    std::span<const ApprovalFile> proofs,
                                                    std::int64_t now);

}  // namespace ssoescrow::rekey
