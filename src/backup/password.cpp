#include "src/backup/password.hpp"

#include <string>

#include "crypto/random.hpp"

namespace ssoescrow::backup {
namespace {

constexpr std::string_view k_upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view k_lower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view k_digits = "0123456789";

bool contains_any(const crypto::SecretBytes& password, std::string_view set) {
    bool found = false;
    for (std::size_t i = 0; i < password.size(); ++i)
        found |= set.find(static_cast<char>(password[i])) != std::string_view::npos;
    return found;
}

}  // namespace

crypto::SecretBytes generate_backup_password() {
    // The alphabet is public; only the draws are secret.
    const std::string alphabet = std::string(k_upper) + std::string(k_lower) +
                                 std::string(k_digits) + std::string(k_password_symbols);
    crypto::SecretBytes password(k_password_length);
    for (;;) {
        for (std::size_t i = 0; i < password.size(); ++i) {
            password[i] = static_cast<std::uint8_t>(
                alphabet[crypto::random_uniform(static_cast<std::uint32_t>(alphabet.size()))]);
        }
        // Rejection keeps the distribution uniform over passwords with all four classes
        // (about 1 draw in 40 is rejected).
        if (contains_any(password, k_upper) && contains_any(password, k_lower) &&
            contains_any(password, k_digits) && contains_any(password, k_password_symbols)) {
            return password;
        }
    }
}

std::string backup_reminder(std::string_view backup_id_hex, std::string_view vault_id_hex) {
    return "ssoescrow backup " + std::string(backup_id_hex) + " of vault " +
           std::string(vault_id_hex) +
           ". The password is escrowed with the vault's custodians: recover it with "
           "'ssoescrow restore'.";
}

}  // namespace ssoescrow::backup
