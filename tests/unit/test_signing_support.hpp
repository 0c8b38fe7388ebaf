// The signing key tests sign with: one per test process, listed in every test policy, so
// envelopes and records written by tests verify like a real host's.
#pragma once

#include "crypto/sign.hpp"
#include "vault/envelope.hpp"
#include "vault/policy.hpp"

namespace test_support {

inline const ssoescrow::crypto::SigningKey& test_signing_key() {
    static const ssoescrow::crypto::SigningKey key =
        ssoescrow::crypto::generate_signing_key("test host");
    return key;
}

// Adds the test host's signer to a policy (once).
inline void add_test_signer(ssoescrow::vault::EscrowPolicy& policy) {
    if (policy.find_signer(test_signing_key().signer.fingerprint()) == nullptr)
        policy.signers.push_back(test_signing_key().signer);
}

inline ssoescrow::vault::SealContext test_seal(const ssoescrow::vault::VaultId& vault_id = {}) {
    ssoescrow::vault::SealContext context;
    context.vault_id = vault_id;
    context.signer = &test_signing_key();
    return context;
}

}  // namespace test_support
