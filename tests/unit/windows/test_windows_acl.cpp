// The Windows meaning of "owner-only" (platform/windows/acl_check.hpp): security descriptors built
// from SDDL, judged by the same pure function that read_secret_file and
// ensure_private_directory use; and durable writes and secret files on a real NTFS (or Wine)
// directory.
#include <catch2/catch.hpp>

#include <windows.h>

#include <sddl.h>

#include <filesystem>
#include <optional>
#include <string>

#include "platform/file_io.hpp"
#include "platform/windows/acl_check.hpp"

using namespace ssoescrow;

namespace {

// A self-relative descriptor from SDDL, freed with LocalFree.
class Descriptor {
  public:
    explicit Descriptor(const wchar_t* sddl) {
        REQUIRE(::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1,
                                                                       &m_descriptor, nullptr));
    }
    ~Descriptor() { ::LocalFree(m_descriptor); }
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    PSECURITY_DESCRIPTOR get() const { return m_descriptor; }

  private:
    PSECURITY_DESCRIPTOR m_descriptor = nullptr;
};

// Owner: an account of a domain; "another account" is a second one of the same domain.
constexpr const wchar_t* k_owner = L"S-1-5-21-1111111111-2222222222-3333333333-1001";

std::optional<std::string> judge(const std::wstring& dacl) {
    const std::wstring sddl = std::wstring(L"O:") + k_owner + L"D:P" + dacl;
    Descriptor descriptor(sddl.c_str());
    return platform::windows::foreign_access_sid(descriptor.get(), nullptr);
}

const std::wstring k_owner_full = std::wstring(L"(A;;FA;;;") + k_owner + L")";

}  // namespace

TEST_CASE("windows acl: owner only, SYSTEM and Administrators are fine", "[platform][windows]") {
    CHECK_FALSE(judge(k_owner_full));
    CHECK_FALSE(judge(k_owner_full + L"(A;;FA;;;SY)(A;;FA;;;BA)"));
    // Entries only inherited by children do not apply to the object itself.
    CHECK_FALSE(judge(k_owner_full + L"(A;OICIIO;FA;;;WD)"));
    // Access that neither reads nor changes the contents (read attributes, synchronize).
    CHECK_FALSE(judge(k_owner_full + L"(A;;0x100080;;;WD)"));
}

TEST_CASE("windows acl: other trustees are named", "[platform][windows]") {
    CHECK(judge(k_owner_full + L"(A;;FR;;;WD)") == std::optional<std::string>("S-1-1-0"));
    CHECK(judge(k_owner_full + L"(A;;FR;;;BU)") == std::optional<std::string>("S-1-5-32-545"));
    CHECK(judge(k_owner_full + L"(A;;FW;;;AU)") == std::optional<std::string>("S-1-5-11"));
    CHECK(judge(k_owner_full + L"(A;;GR;;;S-1-5-21-1111111111-2222222222-3333333333-1002)") ==
          std::optional<std::string>("S-1-5-21-1111111111-2222222222-3333333333-1002"));
    CHECK(judge(k_owner_full + L"(A;;WD;;;BU)") == std::optional<std::string>("S-1-5-32-545"));
}

TEST_CASE("windows acl: no DACL at all lets everyone in", "[platform][windows]") {
    Descriptor descriptor((std::wstring(L"O:") + k_owner).c_str());
    CHECK(platform::windows::foreign_access_sid(descriptor.get(), nullptr) ==
          std::optional<std::string>("S-1-1-0"));
}

TEST_CASE("windows: durable writes and secret files", "[platform][windows]") {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() /
        ("ssoescrow-windows-" + std::to_string(::GetCurrentProcessId()));
    std::filesystem::remove_all(dir);
    REQUIRE(platform::ensure_private_directory(dir));
    REQUIRE(platform::ensure_private_directory(dir));  // exists, owner-only: accepted
    const std::filesystem::path record = dir / "record";
    const std::string text = "first";
    REQUIRE(platform::write_file_durably(record, as_bytes(text), platform::Overwrite::no,
                                         platform::FinalMode::read_only));
    auto again = platform::write_file_durably(record, as_bytes(text), platform::Overwrite::no,
                                              platform::FinalMode::read_only);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Errc::already_exists);
    // A read-only record is replaced when asked to, and removed.
    REQUIRE(platform::write_file_durably(record, as_bytes(std::string("second")),
                                         platform::Overwrite::yes,
                                         platform::FinalMode::read_write));
    auto read = platform::read_file(record, 100);
    REQUIRE(read);
    CHECK(read->size() == 6);
    REQUIRE(platform::remove_file_durably(record));

    const std::filesystem::path key = dir / "id.key";
    REQUIRE(platform::write_secret_file_exclusive(key, as_bytes(std::string("secret"))));
    CHECK(platform::read_secret_file(key, 100, platform::RequireOwnerOnly::yes));
    CHECK(platform::append_file_durably(key, as_bytes(std::string("+")),
                                        platform::CreateIfMissing::no));
    auto whole = platform::read_file(key, 100);
    REQUIRE(whole);
    CHECK(whole->size() == 7);
    CHECK(platform::remove_stale_temp_files(dir));
    std::filesystem::remove_all(dir);
}
