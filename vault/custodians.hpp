// The custodians of a vault over time, read from its audit log alone (FORMAT.md 4.3): when each
// entered an escrow policy, who holds a share of which policy, and who has been marked departed.
//
// A departure is a fact an operator records (`vault mark-departed`): the person left, their key
// must be assumed lost or beyond the organisation's control. It changes no envelope: every backup
// sealed to them still carries their share, which is why status flags those backups until they
// are rekeyed or pruned. A `custodian-reinstated` record undoes a departure recorded in error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vault/audit_log.hpp"

namespace ssoescrow::vault {

struct Departure {
    UnixTime time = 0;
    std::string reason;
    std::string actor;
    std::uint64_t seq = 0;  // the custodian-departed record
};

struct CustodianHistory {
    std::string fingerprint;
    std::optional<UnixTime> in_policy_since;  // first vault-init / policy-change naming it
    std::optional<Departure> departed;        // the latest departure not reinstated since
};

// The custodians and threshold of one escrow policy, as its vault-init or policy-change record
// announced them.
struct PolicyMembers {
    unsigned threshold = 0;
    std::vector<std::string> custodians;  // fingerprints
};

struct CustodianRoster {
    std::map<std::string, CustodianHistory, std::less<>> custodians;  // by fingerprint
    std::map<std::string, PolicyMembers, std::less<>> policies;       // by "sha256:..." fingerprint

    const CustodianHistory* find(std::string_view fingerprint) const;
    bool is_departed(std::string_view fingerprint) const;
    // Of `fingerprints`, how many have not been marked departed.
    std::size_t count_present(const std::vector<std::string>& fingerprints) const;
};

// Builds the roster from `records` in chain order (pass a prefix of the chain for the state at
// an earlier time). Departures of a fingerprint no policy names are kept: status reports them.
CustodianRoster custodian_roster(const std::vector<ChainRecord>& records);

}  // namespace ssoescrow::vault
