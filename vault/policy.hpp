// The escrow policy: which custodians (recipients) a backup is sealed to, and how many of them
// (the threshold K) must cooperate to open it. Byte-level format: vault/FORMAT.md, section
// "Escrow policy".
//
// Canonical text block (embedded verbatim in the vault config; every line ends in LF):
//
//   ssoescrow-policy/2
//   threshold: K
//   single-custodian: allowed          <- present if and only if K == 1
//   recipients: N
//   recipient: <recipient line>        <- N lines, sorted by fingerprint, strictly ascending
//   signers: M
//   signer: <signer line>              <- M >= 1 lines (crypto/sign.hpp), ascending fingerprint
//
// The signers are the backup hosts and operators whose envelopes and audit records the vault
// accepts: the fingerprint covers them, so a host that pins it, and a custodian who recorded it,
// also fix who may seal backups.
// The block determines its own end (N is declared), so it can sit inside a larger file:
// parse_policy_prefix() returns how many bytes it used. fingerprint() is "sha256:" followed by the
// 64 lower-hex digits of SHA-256(canonical block): what `vault init` prints and what a backup host
// pins with `--expect-policy`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/custodian_key.hpp"
#include "crypto/result.hpp"
#include "crypto/sign.hpp"

namespace ssoescrow::vault {

inline constexpr std::string_view k_policy_magic = "ssoescrow-policy/2";
inline constexpr unsigned k_policy_version = 2;
inline constexpr unsigned k_max_recipients = 255;
inline constexpr unsigned k_max_signers = 255;
// "sha256:" + 64 lower hex digits.
inline constexpr std::string_view k_policy_fingerprint_prefix = "sha256:";
inline constexpr std::size_t k_policy_fingerprint_size = 7 + 64;

struct EscrowPolicy {
    unsigned threshold = 0;
    std::vector<crypto::Recipient> recipients;
    // K = 1 (one custodian alone can open every backup) is refused unless this is set: the
    // command line sets it from `--allow-single-custodian`; parsing sets it from the
    // "single-custodian: allowed" line. It is only written out (and fingerprinted) when K == 1.
    bool allow_single_custodian = false;
    // Who may sign envelopes and records sealed under this policy (at least one).
    std::vector<crypto::Signer> signers;

    // Checks the rules below and returns a copy whose recipients are in canonical order
    // (ascending fingerprint). Errors:
    //   Errc::invalid_argument  K = 0; K = 1 without allow_single_custodian; K > N; N = 0;
    //                           two recipients with the same public key (both named by label
    //                           and fingerprint); a recipient of an unknown type; a bad label;
    //                           no signer; two signers with the same key
    //   Errc::limit_exceeded    N > 255, more than 255 signers
    Result<EscrowPolicy> normalised() const;
    [[nodiscard]] Status validate() const;

    // The canonical block (recipients sorted by fingerprint). Precondition: validate() passes
    // (std::logic_error otherwise: a bug).
    std::string serialise() const;
    // "sha256:<64 hex>" of serialise().
    std::string fingerprint() const;

    // The signer with this fingerprint, or nullptr.
    const crypto::Signer* find_signer(std::string_view fingerprint) const noexcept;
};

// Parses exactly one policy block that is the whole of `text`. `source` names the file in
// errors. Strict: the canonical form only (see the top of this file); an unknown version is
// Errc::unsupported_version ("unsupported version N"); the same rules as validate().
Result<EscrowPolicy> parse_policy(std::string_view text, std::string_view source);

struct ParsedPolicyPrefix {
    EscrowPolicy policy;
    std::size_t consumed = 0;  // bytes of `text` used by the block (ends after an LF)
};
// Parses one policy block at the start of `text` and leaves whatever follows it alone.
Result<ParsedPolicyPrefix> parse_policy_prefix(std::string_view text, std::string_view source);

// Syntax check of a fingerprint given on the command line ("sha256:" + 64 lower hex).
[[nodiscard]] Status check_policy_fingerprint(std::string_view text);

}  // namespace ssoescrow::vault
