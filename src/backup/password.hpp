// The password and reminder ssoescrow gives ENTSSO for a backup file.
#pragma once

#include <string>
#include <string_view>

#include "crypto/secret_bytes.hpp"

namespace ssoescrow::backup {

// ENTSSO accepts 7..256 characters (10836, 10839); 40 characters drawn uniformly from 70
// printable ASCII characters give about 245 bits. Every generated password holds at least one
// upper-case letter, lower-case letter, digit and symbol, so a Windows password-complexity
// policy, if ENTSSO ever applied one, is met; none of the symbols needs quoting in JSON,
// PowerShell or a command prompt (" ' ` $ % ^ & \ are excluded).
inline constexpr std::size_t k_password_length = 40;
inline constexpr std::string_view k_password_symbols = "-_.~!#+=";

crypto::SecretBytes generate_backup_password();

// The reminder ENTSSO stores in the .bak, readable by anyone without the password (so nothing
// secret): names the backup id and the vault, and says where the password is. At most 512
// characters (10840), no control characters.
std::string backup_reminder(std::string_view backup_id_hex, std::string_view vault_id_hex);

}  // namespace ssoescrow::backup
