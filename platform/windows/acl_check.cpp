#include "platform/windows/acl_check.hpp"

#include "platform/windows/security.hpp"

namespace ssoescrow::platform::windows {
namespace {

// Access that lets a trustee read or change the contents, or give itself that access.
constexpr ACCESS_MASK k_read_or_write = FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA |
                                        GENERIC_READ | GENERIC_WRITE | GENERIC_ALL | WRITE_DAC |
                                        WRITE_OWNER;

bool is_trusted(PSID sid, PSID owner, PSID current_user) {
    if (owner != nullptr && ::EqualSid(sid, owner))
        return true;
    if (current_user != nullptr && ::EqualSid(sid, current_user))
        return true;
    return ::IsWellKnownSid(sid, WinLocalSystemSid) ||
           ::IsWellKnownSid(sid, WinBuiltinAdministratorsSid) ||
           ::IsWellKnownSid(sid, WinCreatorOwnerSid) ||
           ::IsWellKnownSid(sid, WinCreatorOwnerRightsSid);
}

}  // namespace

std::optional<std::string> foreign_access_sid(PSECURITY_DESCRIPTOR descriptor, PSID current_user) {
    PSID owner = nullptr;
    BOOL owner_defaulted = FALSE;
    if (!::GetSecurityDescriptorOwner(descriptor, &owner, &owner_defaulted))
        owner = nullptr;
    BOOL present = FALSE;
    PACL dacl = nullptr;
    BOOL dacl_defaulted = FALSE;
    if (!::GetSecurityDescriptorDacl(descriptor, &present, &dacl, &dacl_defaulted) || !present ||
        dacl == nullptr)
        return std::string("S-1-1-0");  // no DACL: everyone has full access
    ACL_SIZE_INFORMATION size{};
    if (!::GetAclInformation(dacl, &size, sizeof size, AclSizeInformation))
        return std::string("S-1-1-0");
    for (DWORD i = 0; i < size.AceCount; ++i) {
        void* raw = nullptr;
        if (!::GetAce(dacl, i, &raw))
            continue;
        const auto* header = static_cast<const ACE_HEADER*>(raw);
        if (header->AceType != ACCESS_ALLOWED_ACE_TYPE || (header->AceFlags & INHERIT_ONLY_ACE))
            continue;
        auto* ace = static_cast<ACCESS_ALLOWED_ACE*>(raw);
        if ((ace->Mask & k_read_or_write) == 0)
            continue;
        PSID sid = &ace->SidStart;
        if (!is_trusted(sid, owner, current_user))
            return sid_text(sid);
    }
    return std::nullopt;
}

}  // namespace ssoescrow::platform::windows
