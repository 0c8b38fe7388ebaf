// The pieces of the backup job that hold or touch secrets: the generated ENTSSO password and its
// reminder, the private scratch directory, the interrupt cleanup (its order of steps), the job log
// and the vault writability probe. The cases that need POSIX (fork, signals, modes, hard links,
// FIFOs) are in posix/test_backup_support_posix.cpp.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "platform/file_io.hpp"
#include "platform/interrupt.hpp"
#include "src/backup/password.hpp"
#include "src/backup/scratch_dir.hpp"
#include "src/job_log.hpp"
#include "test_vault_layout_support.hpp"
#include "vault/writer.hpp"

using namespace vault_test;
using ssoescrow::JobLog;
using ssoescrow::platform::InterruptCleanup;
namespace backup = ssoescrow::backup;

namespace {

std::string as_text(const crypto::SecretBytes& secret) {
    return std::string(reinterpret_cast<const char*>(secret.data()), secret.size());
}

}  // namespace

TEST_CASE("generated passwords follow ENTSSO's rules and are all different", "[backup]") {
    const std::string symbols(backup::k_password_symbols);
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const std::string password = as_text(backup::generate_backup_password());
        REQUIRE(password.size() == backup::k_password_length);
        REQUIRE(password.size() >= 7);
        REQUIRE(password.size() <= 256);
        bool upper = false, lower = false, digit = false, symbol = false;
        for (char c : password) {
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
            digit |= c >= '0' && c <= '9';
            symbol |= symbols.find(c) != std::string::npos;
            REQUIRE(std::string("\"'`$%^&\\ ").find(c) == std::string::npos);
        }
        REQUIRE((upper && lower && digit && symbol));
        seen.insert(password);
    }
    REQUIRE(seen.size() == 200);
}

TEST_CASE("the reminder names the backup and vault and fits ENTSSO's limit", "[backup]") {
    const std::string id(32, 'a');
    const std::string vault_id(32, 'b');
    const std::string reminder = backup::backup_reminder(id, vault_id);
    REQUIRE(reminder.size() <= 512);
    REQUIRE(reminder.find(id) != std::string::npos);
    REQUIRE(reminder.find(vault_id) != std::string::npos);
    for (unsigned char c : reminder)
        REQUIRE((c >= 0x20 && c < 0x7f));
}

TEST_CASE("the destructor wipes a scratch directory on an error path", "[backup]") {
    TempDir temp;
    fs::path dir;
    {
        auto created = backup::ScratchDir::create(temp.path());
        REQUIRE(created);
        dir = created.value().dir();
        write_text(dir / "x.bak", "secret-ish");
    }
    REQUIRE_FALSE(fs::exists(dir));
}

TEST_CASE("the writability probe leaves nothing behind and reports a read-only target",
          "[backup]") {
    TempDir temp;
    REQUIRE(ssoescrow::platform::probe_directory_writable(temp.path(), 64 * 1024));
    REQUIRE(fs::is_empty(temp.path()));
    auto missing = ssoescrow::platform::probe_directory_writable(temp.path() / "missing", 10);
    REQUIRE_FALSE(missing);
    REQUIRE(missing.error().code == Errc::not_found);
}
TEST_CASE(
    "the interrupt handler kills the bridge, wipes the scratch directory, releases the job's lock, "
    "restores echo, then ends the process",
    "[backup][interrupt]") {
    using ssoescrow::platform::CleanupStep;
    std::vector<std::string> ran;
    ssoescrow::platform::run_interrupt_cleanup([&ran](CleanupStep step) {
        ran.emplace_back(ssoescrow::platform::cleanup_step_name(step));
    });
    // The bridge dies before its files are wiped (it could otherwise write again); echo comes
    // back after the secret data is gone; the process ends last.
    REQUIRE(ran == std::vector<std::string>{"kill-bridge", "wipe-scratch", "release-lock",
                                            "restore-echo", "log-failure", "end-process"});
    REQUIRE(ssoescrow::platform::k_windows_interrupted_exit_code == 0xC000013AUL);
}

TEST_CASE("only one interrupt cleanup at a time", "[backup][interrupt]") {
    {
        auto first = InterruptCleanup::install();
        REQUIRE(first);
        auto second = InterruptCleanup::install();
        REQUIRE_FALSE(second);
        REQUIRE(second.error().code == Errc::internal);
        REQUIRE(first.value().watch_directory(fs::path("scratch-that-does-not-exist")));
    }
    REQUIRE(InterruptCleanup::install());
}
