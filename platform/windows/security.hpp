// Security identifiers and owner-only security descriptors for the Windows implementation.
#pragma once

#include <windows.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ssoescrow::platform::windows {

// A copy of the SID of the account this process runs as (its token's user); empty when the
// token cannot be read.
std::vector<std::uint8_t> current_user_sid();

// "S-1-5-32-545".
std::string sid_text(PSID sid);

// "BUILTIN\Users (S-1-5-32-545)", or the SID alone when no account name is known.
std::string account_text(PSID sid);

// Security attributes whose protected DACL grants full control to the current user, SYSTEM and
// BUILTIN\Administrators only (inherited by files and subdirectories when `container`): what
// "mode 0600 / 0700" means on Windows. Pass attributes() to CreateFileW / CreateDirectoryW.
class OwnerOnlySecurity {
  public:
    explicit OwnerOnlySecurity(bool container);
    OwnerOnlySecurity(const OwnerOnlySecurity&) = delete;
    OwnerOnlySecurity& operator=(const OwnerOnlySecurity&) = delete;
    ~OwnerOnlySecurity();
    // nullptr when the descriptor could not be built (then the object gets the default DACL
    // and the caller's owner-only check reports it).
    SECURITY_ATTRIBUTES* attributes() noexcept { return m_descriptor ? &m_attributes : nullptr; }

  private:
    PSECURITY_DESCRIPTOR m_descriptor = nullptr;
    SECURITY_ATTRIBUTES m_attributes{};
};

}  // namespace ssoescrow::platform::windows
