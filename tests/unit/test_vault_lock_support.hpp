// Shared by the portable lock tests (unit/test_vault_lock.cpp) and the POSIX-only ones
// (unit/posix/test_vault_lock_posix.cpp): a stand-in vault and lock files as others write them.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "platform/file_io.hpp"
#include "test_support.hpp"
#include "vault/clock.hpp"
#include "vault/lock.hpp"

namespace lock_test {

using namespace ssoescrow;
using namespace ssoescrow::vault;
using namespace ssoescrow::platform;

// A directory standing in for a vault: only locks/ matters here.
class TempVault : public test_support::TempDir {
  public:
    TempVault() : TempDir("ssoescrow-lock") {}
    std::filesystem::path lock_file() const { return path() / "locks" / "writer.lock"; }
};

inline constexpr std::int64_t k_t0 = 1800000000;  // 2027-01-15

inline LockInfo sample_info() {
    LockInfo info;
    info.id = "00112233445566778899aabbccddeeff";
    info.host = "backup-host.example.com";
    info.pid = 4242;
    info.operation = "backup";
    info.started = k_t0;
    info.refreshed = k_t0 + 60;
    info.ttl_seconds = 900;
    return info;
}

// Plants a lock file as another process (or host) would have written it.
inline void plant_lock(const TempVault& vault, const LockInfo& info) {
    REQUIRE(ensure_private_directory(vault.path() / "locks"));
    REQUIRE(write_file_durably(vault.lock_file(), as_bytes(serialise_lock(info)), Overwrite::yes,
                               FinalMode::read_write));
}

inline LockInfo foreign_lock(std::int64_t refreshed) {
    LockInfo info = sample_info();
    info.id = to_hex(crypto::random_bytes(16));
    info.host = "other-host";
    info.pid = 777;
    info.started = refreshed;
    info.refreshed = refreshed;
    return info;
}

inline LockInfo current_lock(const TempVault& vault) {
    Result<Bytes> bytes = read_file(vault.lock_file(), k_lock_file_max_size);
    REQUIRE(bytes);
    Result<LockInfo> info = parse_lock(
        std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), "lock");
    REQUIRE(info);
    return *info;
}

inline LockOptions with_clock(Clock& clock) {
    LockOptions options;
    options.operation = "backup";
    options.clock = &clock;
    return options;
}

}  // namespace lock_test
