#include "platform/windows/security.hpp"

#include <sddl.h>

#include "platform/windows/win_text.hpp"

namespace ssoescrow::platform::windows {

std::vector<std::uint8_t> current_user_sid() {
    HANDLE token = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token))
        return {};
    DWORD needed = 0;
    ::GetTokenInformation(token, TokenUser, nullptr, 0, &needed);
    std::vector<std::uint8_t> buffer(needed);
    std::vector<std::uint8_t> sid;
    if (needed != 0 &&
        ::GetTokenInformation(token, TokenUser, buffer.data(), needed, &needed)) {
        PSID user = reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid;
        const DWORD length = ::GetLengthSid(user);
        sid.resize(length);
        ::CopySid(length, sid.data(), user);
    }
    ::CloseHandle(token);
    return sid;
}

std::string sid_text(PSID sid) {
    wchar_t* text = nullptr;
    if (!::ConvertSidToStringSidW(sid, &text))
        return "unknown SID";
    std::string result = to_utf8(text);
    ::LocalFree(text);
    return result;
}

std::string account_text(PSID sid) {
    wchar_t name[256];
    wchar_t domain[256];
    DWORD name_size = 256;
    DWORD domain_size = 256;
    SID_NAME_USE use{};
    const std::string text = sid_text(sid);
    if (!::LookupAccountSidW(nullptr, sid, name, &name_size, domain, &domain_size, &use))
        return text;
    std::wstring account = domain_size > 0 && domain[0] != L'\0'
                               ? std::wstring(domain) + L"\\" + name
                               : std::wstring(name);
    return to_utf8(account) + " (" + text + ")";
}

OwnerOnlySecurity::OwnerOnlySecurity(bool container) {
    std::vector<std::uint8_t> user = current_user_sid();
    if (user.empty())
        return;
    // P: protected (nothing inherited from the parent); FA: full access; SY: LocalSystem;
    // BA: BUILTIN\Administrators. OICI: files and subdirectories inherit the entries.
    const std::wstring flags = container ? L"OICI" : L"";
    const std::wstring user_sid = to_wide(sid_text(user.data()));
    const std::wstring sddl = L"D:P(A;" + flags + L";FA;;;" + user_sid + L")(A;" + flags +
                              L";FA;;;SY)(A;" + flags + L";FA;;;BA)";
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1,
                                                                 &m_descriptor, nullptr)) {
        m_descriptor = nullptr;
        return;
    }
    m_attributes.nLength = sizeof m_attributes;
    m_attributes.lpSecurityDescriptor = m_descriptor;
    m_attributes.bInheritHandle = FALSE;
}

OwnerOnlySecurity::~OwnerOnlySecurity() {
    if (m_descriptor != nullptr)
        ::LocalFree(m_descriptor);
}

}  // namespace ssoescrow::platform::windows
