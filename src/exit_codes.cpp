#include "src/exit_codes.hpp"

namespace ssoescrow {

int exit_code_for(Errc code) noexcept {
    switch (code) {
        case Errc::usage:
        case Errc::invalid_argument:
            return k_exit_usage;
        case Errc::parse:
        case Errc::unsupported_version:
        case Errc::limit_exceeded:
            return k_exit_bad_input;
        case Errc::auth_failed:
        case Errc::wrong_passphrase:
        case Errc::share_x_zero:
        case Errc::share_duplicate:
        case Errc::share_length:
        case Errc::too_few_shares:
        case Errc::share_mismatch:
            return k_exit_auth;
        case Errc::io:
        case Errc::no_space:
        case Errc::read_only:
        case Errc::not_found:
            return k_exit_io;
        case Errc::already_exists:
        case Errc::unsafe_permissions:
        case Errc::precondition:
            return k_exit_refused;
        case Errc::locked:
        case Errc::lock_lost:
            return k_exit_locked;
        case Errc::vault_damaged:
            return k_exit_vault_damaged;
        case Errc::bridge_failed:
            return k_exit_bridge;
        case Errc::entsso_error:
            return k_exit_entsso;
        case Errc::policy_mismatch:
            return k_exit_policy;
        case Errc::internal:
            return k_exit_failure;
    }
    return k_exit_failure;
}

}  // namespace ssoescrow
