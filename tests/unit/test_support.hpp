// Helpers shared by the unit tests: a private temporary directory removed with everything in it,
// and an environment variable set for one scope (the test hooks read SSOESCROW_TEST_*).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "platform/test_hooks.hpp"

namespace test_support {

class TempDir {
  public:
    explicit TempDir(std::string_view prefix = "ssoescrow-test") {
        std::string pattern =
            (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        m_path = pattern;
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

// Sets an environment variable for the scope and resets the test-hook counters on both ends, so
// "crash at the Nth time" counts from this scope.
class EnvGuard {
  public:
    EnvGuard(const char* name, const std::string& value) : m_name(name) {
        ::setenv(name, value.c_str(), 1);
        ssoescrow::platform::test_hooks::reset_counters();
    }
    ~EnvGuard() {
        ::unsetenv(m_name);
        ssoescrow::platform::test_hooks::reset_counters();
    }
    EnvGuard(const EnvGuard&) = delete;
    EnvGuard& operator=(const EnvGuard&) = delete;

  private:
    const char* m_name;
};

}  // namespace test_support
