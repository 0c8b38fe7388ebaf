// The Windows meaning of "owner-only": which trustees a file's access list lets in. A pure
// evaluation of a security descriptor (no system state read), so that tests can feed it
// descriptors built from SDDL text.
#pragma once

#include <windows.h>

#include <optional>
#include <string>

namespace ssoescrow::platform::windows {

// The SID (text form, "S-1-1-0") of the first trustee that `descriptor`'s DACL lets read or
// change the object although it is none of: the descriptor's owner, `current_user`, SYSTEM,
// BUILTIN\Administrators (and OWNER RIGHTS / CREATOR OWNER, which stand for the owner). nullopt
// when only those have access. Access-allowed entries that apply to the object itself count
// (inherit-only entries do not); deny entries are ignored, which can only make the answer stricter.
// A descriptor without a DACL (everyone has full access) yields "S-1-1-0" (Everyone).
// `current_user` may be null.
std::optional<std::string> foreign_access_sid(PSECURITY_DESCRIPTOR descriptor, PSID current_user);

}  // namespace ssoescrow::platform::windows
