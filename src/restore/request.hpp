// Restore requests, approvals and the requester's ephemeral key: the files a disaster-recovery
// restore passes between the operator and the custodians. Byte-level spec: vault/FORMAT.md 4.9.
//
// The flow: the operator writes a REQUEST (public: one text file that can travel by e-mail) and
// keeps its ephemeral X25519 secret key in REQ.key (0600). Each custodian, offline, opens their
// own stanza of the envelope header carried in the request, checks the share against its
// commitment and re-wraps it to the request's ephemeral public key: the APPROVAL. Nobody but the
// holder of REQ.key can open an approval, and an approval only opens for the request, vault,
// backup, envelope header, custodian and x it was made for, and only for the request exactly as
// the custodian saw it: the approval binds the SHA-256 of the whole request file (purpose, expiry,
// requester, reason and key included), so an edited request voids every approval of it.
//
// Request (every line LF-terminated, canonical values only):
//   ssoescrow-restore-request/2
//   request: <32 lower hex>                 random 128-bit request id
//   vault: <32 lower hex>                   the vault id
//   backup: <32 lower hex>                  the backup id (= the embedded header's)
//   header-sha256: <64 lower hex>           SHA-256 of the embedded envelope header
//   purpose: restore | drill | extract      what the approvals may be used for
//   requester: <user@host, 1..128 bytes of %x21-7e>     untrusted
//   reason: <text> | "reason:"              untrusted, may be empty
//   created: <YYYY-MM-DDTHH:MM:SSZ>
//   expires: <YYYY-MM-DDTHH:MM:SSZ>         created < expires <= created + 30 days
//   ephemeral-key: x25519 <base64 of 32 bytes>
//   envelope-header: <N>                    then exactly N bytes: the envelope header, verbatim
//   checksum: <64 lower hex>                SHA-256 of every byte before this line
//
// Approval:
//   ssoescrow-restore-approval/2
//   request: <32 lower hex>
//   request-sha256: <64 lower hex>          SHA-256 of the whole request file approved
//   vault: / backup: / header-sha256: / purpose:    copied from the request
//   custodian: <recipient fingerprint>
//   label: <the stanza's label>             untrusted
//   x: <2 lower hex, 01..ff>
//   approved: <time>
//   wrapped: <base64 of 104 bytes>           the share re-wrapped to the ephemeral key
//   checksum: <64 lower hex>
//
// Request key (REQ.key, 0600, never in the vault):
//   ssoescrow-restore-key/1
//   request: <32 lower hex>
//   public: <base64 of 32 bytes>
//   secret: <64 lower hex>
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/custodian_key.hpp"
#include "crypto/hash.hpp"
#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"
#include "crypto/x25519.hpp"
#include "vault/envelope.hpp"

namespace ssoescrow::restore {

inline constexpr std::string_view k_request_magic = "ssoescrow-restore-request/2";
inline constexpr std::string_view k_approval_magic = "ssoescrow-restore-approval/2";
inline constexpr std::string_view k_request_key_magic = "ssoescrow-restore-key/1";
inline constexpr std::size_t k_request_id_size = 16;
inline constexpr std::size_t k_max_request_line_size = 1024;
// Fixed lines (well under 2 KiB) plus the largest envelope header.
inline constexpr std::size_t k_max_request_size = vault::k_max_header_size + 4096;
inline constexpr std::size_t k_max_approval_size = 2048;
inline constexpr std::size_t k_max_request_key_size = 512;
inline constexpr std::int64_t k_max_request_lifetime = 30 * 24 * 3600;
inline constexpr std::int64_t k_default_request_lifetime = 24 * 3600;

using RequestId = std::array<std::uint8_t, k_request_id_size>;

std::string request_id_hex(const RequestId& id);

// What the custodians approve a request for. Which `restore apply` modes each allows:
//   restore  a restore through the bridge, and drills (never an extraction);
//   drill    drills that hand the secret to no ENTSSO (never a restore, a drill-server restore
//            or an extraction): nothing leaves ssoescrow's memory;
//   extract  everything: whoever may take the .bak and its password may restore by hand anyway,
//            so refusing a bridge restore would only push them to the less-audited manual path.
enum class Purpose { restore, drill, extract };
std::string_view purpose_name(Purpose purpose) noexcept;
// "restore", "drill" or "extract"; anything else is Errc::usage naming the three.
Result<Purpose> parse_purpose(std::string_view text);

struct RestoreRequest {
    RequestId id{};
    std::string vault_id;  // 32 lower hex
    vault::BackupId backup_id{};
    crypto::Digest header_sha256{};
    Purpose purpose = Purpose::restore;
    std::string requester;  // untrusted
    std::string reason;     // untrusted, may be empty
    std::int64_t created = 0;
    std::int64_t expires = 0;
    crypto::PublicKey ephemeral_key{};
    std::string envelope_header;   // the header bytes, verbatim
    vault::EnvelopeHeader header;  // parsed from envelope_header
};

struct NewRequest {
    RestoreRequest request;
    crypto::SecretBytes secret_key;  // the ephemeral X25519 secret key
};

// A request for the envelope `envelope_file` (a complete envelope: its header is parsed and
// embedded) of vault `vault_id`, with a fresh id and ephemeral key pair. `lifetime`: 1 s..30 d.
Result<NewRequest> create_request(ByteView envelope_file, std::string_view vault_id,
                                  std::string requester, std::string reason, std::int64_t now,
                                  std::int64_t lifetime, Purpose purpose = Purpose::restore);

std::string serialise_request(const RestoreRequest& request);
// SHA-256 of the whole canonical request file (serialise_request): what every approval binds.
crypto::Digest request_digest(const RestoreRequest& request);
// Strict parse (canonical form only). Order: size ceiling, version line ("unsupported version N"),
// checksum ("request file is damaged"), fields, the embedded header (parse_envelope_header rules),
// then consistency (backup id, header hash, times). `source` names the file in errors.
Result<RestoreRequest> parse_request(ByteView file, std::string_view source);

// What custodians compare out of band with the requester: the first 16 bytes of SHA-256 of the
// whole request file, 8 groups of 4 lower hex joined by '-'.
std::string request_fingerprint(const RestoreRequest& request);

// Errc::precondition "request ... expired at T" when now >= expires; a request created more than
// 5 minutes in the future (clock skew) is refused too.
[[nodiscard]] Status check_request_current(const RestoreRequest& request, std::int64_t now);

struct RequestKey {
    RequestId request{};
    crypto::PublicKey public_key{};
    crypto::SecretBytes secret_key;  // 32 bytes
};

crypto::SecretBytes serialise_request_key(const RequestId& request,
                                          const crypto::PublicKey& public_key,
                                          const crypto::SecretBytes& secret_key);
Result<RequestKey> parse_request_key(const crypto::SecretBytes& file, std::string_view source);
// The key must belong to the request (id and public key) and its secret must give its public key.
[[nodiscard]] Status check_request_key(const RestoreRequest& request, const RequestKey& key,
                                       std::string_view source);

struct Approval {
    RequestId request{};
    crypto::Digest request_sha256{};  // request_digest of the request approved
    std::string vault_id;             // 32 lower hex
    vault::BackupId backup_id{};
    crypto::Digest header_sha256{};
    Purpose purpose = Purpose::restore;
    std::string custodian;  // recipient fingerprint
    std::string label;      // untrusted
    std::uint8_t x = 0;
    std::int64_t approved = 0;
    Bytes wrapped;  // k_wrapped_share_size bytes

    // "custodian 'LABEL' (FINGERPRINT)"
    std::string describe() const;
};

std::string serialise_approval(const Approval& approval);
Result<Approval> parse_approval(ByteView file, std::string_view source);

// The associated data of a re-wrapped share:
//   "ssoescrow/1 restore-approval" || 0x00 || 0x02 || request SHA-256 (32) || request id (16) ||
//   vault id (16) || backup id (16) || header SHA-256 (32) || K (1) || x (1) ||
//   fingerprint (39 ASCII)
// The request SHA-256 covers every byte of the request (purpose, expiry, requester, reason,
// ephemeral key, header): an approval opens only for the request exactly as it was approved.
Bytes approval_context(const RestoreRequest& request, std::string_view fingerprint, std::uint8_t x);

// The custodian's side: checks the request is current, opens the identity's stanza (commitment
// checked), re-wraps the share to the request's ephemeral key. Errc::not_found naming the
// identity's fingerprint when the envelope has no stanza for it.
Result<Approval> approve_request(const RestoreRequest& request, const crypto::Identity& identity,
                                 std::int64_t now);

// The requester's side, one approval: bound to this request, vault, backup and header, and to
// this exact request file (else Errc::share_mismatch naming what differs: an edited request is
// "edited after it was approved"), a stanza for its custodian with its x, the wrapped
// share opens with the request key (else Errc::auth_failed: corrupt or forged) and matches its
// commitment. `source` names the approval file.
Result<vault::CustodianShare> open_approval(const RestoreRequest& request, const RequestKey& key,
                                            const Approval& approval, std::string_view source);

// --- Shared with the rekey ceremony (src/rekey/), whose files follow the same rules -------------

// Splits off and verifies the final "checksum: <64 hex>" line (SHA-256 of every byte before it):
// Errc::parse when it is missing or malformed ("is truncated or damaged"), Errc::auth_failed when
// it does not match ("is damaged"). `kind` names the file ("restore request"). Returns the bytes
// it covers.
Result<std::string_view> verify_checksum(std::string_view text, std::string_view source,
                                         std::string_view kind);
// `body` followed by its checksum line.
std::string with_checksum(std::string body);
// An envelope header (3.1, through the signature line, without payload) embedded in a file,
// parsed with the envelope rules; extra bytes are refused. Errors name `source`.
Result<vault::EnvelopeHeader> parse_embedded_header(std::string_view header_text,
                                                    std::string_view source);

}  // namespace ssoescrow::restore
