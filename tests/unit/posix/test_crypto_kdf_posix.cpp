// Argon2id under a POSIX address-space limit: a failed allocation is reported as limit_exceeded
// with a hint. (fork and setrlimit are POSIX-only, hence this folder.)
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "crypto/bytes.hpp"
#include "crypto/kdf.hpp"
#include "crypto/secret_bytes.hpp"

using namespace ssoescrow;
using namespace ssoescrow::crypto;

#if defined(__SANITIZE_ADDRESS__)
#define SSOESCROW_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SSOESCROW_TEST_ASAN 1
#endif
#endif

#ifndef SSOESCROW_TEST_ASAN
TEST_CASE("argon2id reports a failed allocation as limit_exceeded with a hint", "[kdf]") {
    // In a child process, cap the address space a little above what is in use, then ask for
    // 1 GiB (within the ceiling): libsodium cannot map it. (Skipped under AddressSanitizer,
    // whose shadow memory does not mix with RLIMIT_AS.)
    constexpr std::uint64_t k_mib = 1024 * 1024;
    constexpr std::uint64_t k_gib = 1024 * k_mib;
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        long pages = 0;
        {
            std::ifstream statm("/proc/self/statm");
            statm >> pages;
        }
        const rlim_t in_use =
            static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE));
        const rlimit limit{in_use + 256 * k_mib, in_use + 256 * k_mib};
        if (pages <= 0 || setrlimit(RLIMIT_AS, &limit) != 0)
            _exit(3);
        auto key = argon2id(SecretBytes::copy_of(as_bytes("pw")), Bytes(k_argon2_salt_size, 1),
                            KdfParams{1, 1 * k_gib}, 32);
        if (key.ok())
            _exit(2);
        const bool as_documented =
            key.error().code == Errc::limit_exceeded &&
            key.error().message.find("could not allocate") != std::string::npos &&
            !key.error().hint.empty();
        _exit(as_documented ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
#endif
