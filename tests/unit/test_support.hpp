// Helpers shared by the unit tests: a private temporary directory removed with everything in it,
// and an environment variable set for one scope (the test hooks read SSOESCROW_TEST_*).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "platform/environment.hpp"
#include "platform/file_io.hpp"
#include "platform/test_hooks.hpp"

namespace test_support {

class TempDir {
  public:
    explicit TempDir(std::string_view prefix = "ssoescrow-test") {
        auto created = ssoescrow::platform::create_private_temp_directory(
            std::filesystem::temp_directory_path(), std::string(prefix) + "-");
        if (!created)
            throw std::runtime_error(created.error().message);
        m_path = std::move(created).value();
    }
    ~TempDir() {
        std::error_code ec;
        // Tests make directories read-only; envelopes and records are 0400 in 0700 directories.
        std::filesystem::permissions(m_path, std::filesystem::perms::owner_all, ec);
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

  private:
    std::filesystem::path m_path;
};

// Deletes a committed vault file as someone with write access to the vault directory would. Write-
// once files are read-only (mode 0400; FILE_ATTRIBUTE_READONLY on Windows, which also forbids
// deleting the file), so the write permission is given back first.
inline void remove_write_once_file(const std::filesystem::path& file) {
    std::filesystem::permissions(file, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    std::filesystem::remove(file);
}

// Sets an environment variable for the scope and resets the test-hook counters on both ends, so
// "crash at the Nth time" counts from this scope.
class EnvGuard {
  public:
    EnvGuard(const char* name, const std::string& value) : m_name(name) {
        ssoescrow::platform::set_environment_variable(name, value);
        ssoescrow::platform::test_hooks::reset_counters();
    }
    ~EnvGuard() {
        ssoescrow::platform::set_environment_variable(m_name, std::nullopt);
        ssoescrow::platform::test_hooks::reset_counters();
    }
    EnvGuard(const EnvGuard&) = delete;
    EnvGuard& operator=(const EnvGuard&) = delete;

  private:
    const char* m_name;
};

}  // namespace test_support
