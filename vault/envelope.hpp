// Sealed envelopes: one backup of the ENTSSO master secret, sealed to the custodians of an escrow
// policy, K of N of whom are needed to open it. Byte-level format: vault/FORMAT.md, section 3.
//
// An envelope file is a strict, line-oriented text header followed by a binary payload:
//
//   ssoescrow-envelope/2
//   vault: <32 lower hex>                        the vault it was sealed for (config vault-id)
//   backup: <32 lower hex>                       random 128-bit backup id
//   created: <YYYY-MM-DDTHH:MM:SSZ>              UTC, seconds
//   computer: <text>                             source metadata (SourceInfo), "key:" if empty
//   secret-server: <text>
//   current-msid: <text>
//   previous-msid: <text>
//   label: <text>
//   policy: sha256:<64 hex>                      fingerprint of the escrow policy sealed to
//   signer: ed25519 <fingerprint> <public key, base64>   the host that sealed it (crypto/sign.hpp)
//   threshold: K
//   shares: N
//   share: x25519 <fingerprint> <x, 2 hex> <commitment, 64 hex> <wrapped share, base64> <label>
//   ... (N share lines, ascending fingerprint)
//   payload: xchacha20poly1305 <nonce, 48 hex> <ciphertext size incl. tag, decimal>
//   mac: <64 hex>                                HMAC-SHA-256 over every header byte before it
//   signature: ed25519 <payload SHA-256, 64 hex> <signature, base64 of 64 bytes>
//                                                Ed25519 by the signer over
//                                                "ssoescrow/2 envelope-signature" || 0x00 ||
//                                                every header byte through the mac line ||
//                                                SHA-256(payload)
//   <payload: exactly `ciphertext size` bytes, then end of file>
//
// Keys: a fresh random 256-bit file key per backup, split K-of-N (Shamir over GF(256); for K = 1
// every share is the file key itself); header-MAC key = derive_subkey(file key, "header-mac"),
// payload key = derive_subkey(file key, "payload"); the payload AEAD's associated data is the
// header through the mac line. A share commitment is the unkeyed
// BLAKE2b-256("ssoescrow/1 share-commitment" || backup id || K || x || y), checkable before the
// file key exists; the wrapped share's associated data binds version, backup id, K, x and the
// recipient fingerprint, so a stanza moved to another envelope or custodian does not open.
//
// Files: the vault stores an envelope write-once as `<backup id hex>.envelope`
// (envelope_file_name()).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/custodian_key.hpp"
#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"
#include "crypto/shamir.hpp"
#include "crypto/sign.hpp"
#include "vault/config.hpp"
#include "vault/policy.hpp"

namespace ssoescrow::vault {

inline constexpr std::string_view k_envelope_magic = "ssoescrow-envelope/2";
inline constexpr unsigned k_envelope_version = 2;
inline constexpr std::string_view k_envelope_file_suffix = ".envelope";

// Ceilings (checked before anything is allocated).
inline constexpr std::size_t k_max_bak_size = 1u << 20;      // 1 MiB
inline constexpr std::size_t k_max_password_size = 1024;     // ENTSSO: 7..256 characters
inline constexpr std::size_t k_max_reminder_size = 2048;     // ENTSSO: at most 512 characters
inline constexpr std::size_t k_max_source_field_size = 255;  // computer, server, MSIDs, label
inline constexpr std::size_t k_max_header_line_size = 1024;
inline constexpr std::size_t k_max_header_size = 300 * 1024;  // 268 lines of at most 1 KiB
inline constexpr std::size_t k_backup_id_size = 16;
inline constexpr std::size_t k_commitment_size = 32;
inline constexpr std::size_t k_payload_nonce_size = 24;
inline constexpr std::size_t k_header_mac_size = 32;
inline constexpr std::size_t k_wrapped_share_size = 32 + 24 + 32 + 16;  // E, nonce, share, tag
// "mac: <64 hex>\n" and "signature: ed25519 <64 hex> <88 base64>\n": the header's last two lines.
inline constexpr std::size_t k_mac_line_size = 5 + 64 + 1;
inline constexpr std::size_t k_signature_line_size = 19 + 64 + 1 + 88 + 1;
// Bundle plaintext: 3 length prefixes (4 bytes each) + contents + 32-byte SHA-256.
inline constexpr std::size_t k_max_payload_plaintext_size =
    4 + k_max_bak_size + 4 + k_max_password_size + 4 + k_max_reminder_size + 32;
inline constexpr std::size_t k_max_payload_size = k_max_payload_plaintext_size + 16;

using BackupId = std::array<std::uint8_t, k_backup_id_size>;
using Commitment = std::array<std::uint8_t, k_commitment_size>;

// 32 lower hex digits; strict parse of the same.
std::string backup_id_hex(const BackupId& id);
Result<BackupId> parse_backup_id(std::string_view hex);
// "<32 hex>.envelope": the name of an envelope in the vault.
std::string envelope_file_name(const BackupId& id);

// Where the backup came from. Untrusted text for humans (it is under the header MAC, but anyone
// with the file key, i.e. K custodians, could have written it): 0..255 bytes, no control
// characters (< 0x20, 0x7f), no leading or trailing space. computer, secret_server and
// current_msid must not be empty; previous_msid ("unknown") and label may be.
struct SourceInfo {
    std::string computer;
    std::string secret_server;
    std::string current_msid;
    std::string previous_msid;
    std::string label;

    [[nodiscard]] Status validate() const;
    friend bool operator==(const SourceInfo&, const SourceInfo&) = default;
};

// The sealed payload. bak: 1..1 MiB; password: 1..1024 bytes; reminder: 0..2048 bytes of text
// without control characters (ENTSSO shows it to anyone, it is not secret);
// bak_sha256 = SHA-256(bak), checked when sealing and again after opening.
struct Bundle {
    crypto::SecretBytes bak;
    crypto::SecretBytes password;
    std::string reminder;
    std::array<std::uint8_t, 32> bak_sha256{};

    [[nodiscard]] Status validate() const;
};

// One custodian's stanza. Not authenticated until the header MAC verifies (after combining).
struct Stanza {
    std::string type = "x25519";
    std::string recipient_fingerprint;  // crypto::fingerprint_of(public key)
    std::uint8_t x = 0;                 // the share's x-coordinate, non-zero
    Commitment commitment{};
    Bytes wrapped_share;  // k_wrapped_share_size bytes
    std::string label;    // the recipient's label (crypto::check_label rules)

    // "custodian <label> (<fingerprint>)", for messages.
    std::string describe() const;
};

struct EnvelopeHeader {
    unsigned version = k_envelope_version;
    VaultId vault_id{};  // the vault it was sealed for
    BackupId backup_id{};
    std::int64_t created = 0;  // seconds since 1970-01-01T00:00:00Z (1970..9999)
    SourceInfo source;
    std::string policy_fingerprint;  // "sha256:<64 hex>"
    // Who sealed it. Checked against the policy by the reader (check_envelope_signature): the
    // header alone proves nothing, anyone can write a key here.
    crypto::SignerPublicKey signer_key{};
    std::string signer_fingerprint;  // crypto::signer_fingerprint_of(signer_key)
    unsigned threshold = 0;
    std::vector<Stanza> stanzas;  // N, ascending recipient_fingerprint
    std::array<std::uint8_t, k_payload_nonce_size> payload_nonce{};
    std::uint64_t payload_size = 0;  // ciphertext including the 16-byte tag
    std::array<std::uint8_t, k_header_mac_size> mac{};
    std::array<std::uint8_t, 32> payload_sha256{};  // on the signature line
    crypto::Signature signature{};
    std::size_t header_size = 0;  // bytes of the header in the file, through the signature line
    std::size_t signed_size = 0;  // bytes through the mac line: the MAC'd, signed, AEAD'd part

    std::string vault_id_hex() const;
};

// The exact header text: every line up to and including "signature: ...\n".
std::string serialise_envelope_header(const EnvelopeHeader& header);

// Parses the header of a complete envelope file and checks, without any key, everything that
// can be checked: canonical encoding, ceilings, K and N, distinct non-zero x, distinct and
// ordered fingerprints, and that exactly payload_size bytes follow the header (a truncated file
// or trailing data is an error). Errc::unsupported_version ("unsupported version N"),
// Errc::limit_exceeded, or Errc::parse naming the line and field.
Result<EnvelopeHeader> parse_envelope_header(ByteView file);

// The payload bytes of a file accepted by parse_envelope_header.
ByteView envelope_payload(const EnvelopeHeader& header, ByteView file);

// Whether an envelope was sealed to `policy` (for `vault check`; keys not needed): the policy
// fingerprint, K, the stanzas' recipients (fingerprint and label) and the signer must all match.
// Errc::policy_mismatch naming the first difference. An envelope sealed before a policy change
// legitimately fails this: callers decide whether that is a warning.
[[nodiscard]] Status check_envelope_policy(const EnvelopeHeader& header,
                                           const EscrowPolicy& policy);

// The signature check, with public keys only (FORMAT.md 3.14): the payload's SHA-256 is the
// signed one and the signature verifies under the header's signer key. Errc::auth_failed naming
// the backup and the signer. Whether that signer may seal for the vault is the caller's question
// (the signer must be one of the envelope's policy: vault/catalog.hpp).
[[nodiscard]] Status check_envelope_signature(const EnvelopeHeader& header, ByteView file);
// The signature over a header alone (`header_bytes` = the header through the signature line), for
// who holds only the header (a custodian approving a request): it proves the signer signed this
// header and a payload with the SHA-256 on the signature line.
[[nodiscard]] Status check_envelope_header_signature(const EnvelopeHeader& header,
                                                     ByteView header_bytes);

// Who seals: the vault the envelope is for, and the signing key of the host sealing it (which
// must be one of the policy's signers: Errc::precondition naming it otherwise).
struct SealContext {
    VaultId vault_id{};
    const crypto::SigningKey* signer = nullptr;
};

// Seals `bundle` to `policy` (which must validate; bundle and source too): fresh backup id, fresh
// file key, Shamir split, one stanza per recipient, HMAC, AEAD, signature. Before returning, it
// parses its own output, checks the signature and every share commitment, opens it with K shares
// through combine_and_open() and compares the result with `bundle`; Errc::internal if that fails.
Result<Bytes> seal_envelope(const EscrowPolicy& policy, const SealContext& context,
                            const SourceInfo& source, const Bundle& bundle, std::int64_t created);
// The same with a backup id chosen by the caller (from new_backup_id()), for callers that must
// name the backup before sealing it (the backup job writes the id into the ENTSSO reminder).
Result<Bytes> seal_envelope(const EscrowPolicy& policy, const SealContext& context,
                            const SourceInfo& source, const Bundle& bundle, std::int64_t created,
                            const BackupId& backup_id);
// A fresh random backup id (128 bits from the CSPRNG).
BackupId new_backup_id();

// A custodian's share, once unwrapped (or received re-wrapped during a restore).
struct CustodianShare {
    std::string recipient_fingerprint;  // whose stanza it claims to belong to
    crypto::shamir::Share share;        // x and the 32-byte y
};

// The associated data of a wrapped share (FORMAT.md 3.4):
// "ssoescrow/1 envelope-share" || 0x00 || version (1 byte) || backup id || K || x ||
// fingerprint (ASCII).
Bytes share_wrap_context(const EnvelopeHeader& header, const Stanza& stanza);

// BLAKE2b-256("ssoescrow/1 share-commitment" || backup id (16) || K (1) || x (1) || y (32)).
Commitment share_commitment(const BackupId& backup_id, unsigned threshold, std::uint8_t x,
                            const crypto::SecretBytes& y);

// The stanza of a custodian, by fingerprint; Errc::not_found naming the custodian otherwise.
Result<const Stanza*> find_stanza(const EnvelopeHeader& header, std::string_view fingerprint);

// Checks one share against its stanza before any combining: the stanza exists
// (Errc::share_mismatch "... has no stanza in backup ..."), x matches and y is 32 bytes
// (Errc::share_mismatch / share_length), and the commitment matches (Errc::share_mismatch
// "share of custodian L (F), stanza i, does not match its commitment: ..."), all naming the
// custodian.
[[nodiscard]] Status check_custodian_share(const EnvelopeHeader& header,
                                           const CustodianShare& share);

// Unwraps the stanza addressed to `identity` and checks its commitment. Errors name the stanza
// and custodian: Errc::not_found (no stanza for this identity), Errc::auth_failed (the wrapped
// share does not open with this identity: damaged, or moved from another stanza or backup),
// Errc::share_mismatch (the commitment does not match).
Result<CustodianShare> open_stanza(const EnvelopeHeader& header, const crypto::Identity& identity);

// Opens an envelope file with custodian shares. In order: parse the header; check each share
// (check_custodian_share; the same custodian twice is Errc::share_duplicate naming them); fewer
// than K valid shares is Errc::too_few_shares "need K shares, have M"; combine; verify the
// header MAC (Errc::auth_failed "header MAC does not verify ..."); decrypt the payload
// (Errc::auth_failed "payload ..."); parse the bundle (Errc::parse) and check the .bak SHA-256
// (Errc::auth_failed). No plaintext is released on any failure.
Result<Bundle> combine_and_open(ByteView envelope_file, std::span<const CustodianShare> shares);

}  // namespace ssoescrow::vault
