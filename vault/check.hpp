// `vault check`: verifies everything that can be verified without keys, read-only (no lock, no
// write into the vault), and names every problem by file. Finding codes: vault/FORMAT.md 4.8.
//
//   structure   config parses (else the check cannot start: an error), envelopes/ and audit/
//               exist, no unknown files at the top level
//   config      its SHA-256 equals the config hash of the newest vault-init/policy-change record
//   envelopes   every header and stanza list (envelope.hpp), names, hashes vs. the audit log,
//               orphans, missing and swapped files (catalog.hpp)
//   audit       the whole hash chain (audit_log.hpp); times in the future
//   rollback    the chain against the latest-seen state kept outside the vault (when given)
//   layout      envelopes/, audit/ and locks/ are real directories, not symbolic links (a link
//               would send writers and readers elsewhere): damage
//   leftovers   temp files, the writer lock (stale: warning; live: info, since a writer at work is
//               not a problem and a monitor must not flap during every backup)
//
// Result: Clean (no finding above info), Warnings (only warnings), Damaged (at least one damage).
#pragma once

#include <filesystem>
#include <optional>

#include "crypto/result.hpp"
#include "vault/catalog.hpp"
#include "vault/clock.hpp"
#include "vault/finding.hpp"
#include "vault/vault.hpp"

namespace ssoescrow::vault {

// Timestamps more than this far ahead of the checker's clock are flagged (clock skew, F12).
inline constexpr std::int64_t k_future_tolerance_seconds = 300;

struct CheckOptions {
    Clock* clock = nullptr;  // nullptr: system_clock()
    // The latest-seen state to compare with (audit_log.hpp); std::nullopt: no rollback check.
    std::optional<SeenState> seen;
};

struct CheckReport {
    Catalog catalog;
    Findings findings;  // everything, in a stable order (by file, then code)

    bool clean() const noexcept { return !has_problem(findings); }
    bool damaged() const noexcept { return has_damage(findings); }
};

Result<CheckReport> check_vault(const Vault& vault, const CheckOptions& options);

}  // namespace ssoescrow::vault
