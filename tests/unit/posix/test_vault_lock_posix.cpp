// The vault writer lock under POSIX process control: writers forked to race (F9), the lock of a
// reaped pid (F10), a SIGSTOPped holder (F11), a crash right after creation, and the modes of what
// the lock creates. The portable cases are in unit/test_vault_lock.cpp.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "platform/file_io.hpp"
#include "platform/interrupt.hpp"
#include "platform/test_hooks.hpp"
#include "test_support.hpp"
#include "test_vault_lock_support.hpp"
#include "vault/lock.hpp"

namespace fs = std::filesystem;
using namespace ssoescrow;
using namespace ssoescrow::vault;
using namespace ssoescrow::platform;
using namespace lock_test;
using namespace std::chrono_literals;

namespace {

// A pid that existed and no longer does (a reaped child).
std::int64_t dead_pid() {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
        ::_exit(0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return pid;
}

}  // namespace

TEST_CASE("the lock directory is 0700 and the lock file 0600", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    Result<WriterLock> lock = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(lock);
    struct stat st {};
    REQUIRE(::stat((vault.path() / "locks").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    REQUIRE(::stat(vault.lock_file().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(current_lock(vault).pid == ::getpid());
}

namespace {

// Forks `n` children that wait on a pipe, then all call `body` at once. Returns exit codes.
template <class Body>
std::vector<int> race(int n, Body body) {
    int gate[2];
    REQUIRE(::pipe(gate) == 0);
    std::vector<pid_t> pids;
    for (int i = 0; i < n; ++i) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(gate[1]);
            char c;
            while (::read(gate[0], &c, 1) < 0 && errno == EINTR) {
            }
            ::_exit(body());
        }
        pids.push_back(pid);
    }
    ::close(gate[0]);
    ::close(gate[1]);  // opens the gate: every child's read returns 0
    std::vector<int> codes;
    for (const pid_t pid : pids) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        codes.push_back(WEXITSTATUS(status));
    }
    return codes;
}

}  // namespace

TEST_CASE("F9: of writers racing without waiting exactly one wins", "[vault][lock]") {
    for (int round = 0; round < 3; ++round) {
        CAPTURE(round);
        TempVault vault;
        const std::vector<int> codes = race(5, [&]() -> int {
            LockOptions options;
            Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
            if (!lock) {
                if (lock.error().code == Errc::locked) {
                    std::ofstream(vault.path() / ("lost-" + std::to_string(::getpid())));
                    return 7;
                }
                std::fprintf(stderr, "acquire: %s\n", lock.error().message.c_str());
                return 1;
            }
            // Hold it until every other writer has tried (bounded, in case one of them fails).
            const auto give_up = std::chrono::steady_clock::now() + 30s;
            while (std::chrono::steady_clock::now() < give_up) {
                int lost = 0;
                for (const auto& entry : fs::directory_iterator(vault.path())) {
                    lost += entry.path().filename().string().rfind("lost-", 0) == 0 ? 1 : 0;
                }
                if (lost == 4)
                    break;
                std::this_thread::sleep_for(10ms);
            }
            Status released = lock->release();
            if (!released)
                std::fprintf(stderr, "release: %s\n", released.error().message.c_str());
            return released ? 0 : 2;
        });
        CAPTURE(codes);
        CHECK(std::count(codes.begin(), codes.end(), 0) == 1);
        CHECK(std::count(codes.begin(), codes.end(), 7) == 4);
        CHECK_FALSE(fs::exists(vault.lock_file()));
    }
}

TEST_CASE("F9: writers that wait all get the lock, one at a time", "[vault][lock]") {
    TempVault vault;
    const fs::path inside = vault.path() / "inside";
    const std::vector<int> codes = race(4, [&]() -> int {
        LockOptions options;
        options.wait = 20s;
        options.poll_interval = 20ms;
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        if (!lock)
            return 1;
        // Nobody else may be inside while we hold the lock.
        const int fd = ::open(inside.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
            return 3;
        ::close(fd);
        std::this_thread::sleep_for(100ms);
        if (!lock->check_still_held())
            return 4;
        ::unlink(inside.c_str());
        return lock->release() ? 0 : 2;
    });
    CHECK(codes == std::vector<int>{0, 0, 0, 0});
    CHECK_FALSE(fs::exists(vault.lock_file()));
}

TEST_CASE("F10: a lock of a dead process on this host is taken over at once", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockInfo stale = foreign_lock(k_t0);  // refreshed just now: only the dead pid makes it stale
    stale.host = local_host_name();
    stale.pid = dead_pid();
    plant_lock(vault, stale);

    Result<std::optional<LockStatus>> status = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(status);
    REQUIRE(status->has_value());
    CHECK((*status)->state == LockState::stale_dead);
    CHECK((*status)->same_host);

    Result<WriterLock> lock = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(lock);
    REQUIRE(lock->taken_over());
    CHECK(lock->taken_over()->previous.info.id == stale.id);
    CHECK(lock->taken_over()->previous.info.pid == stale.pid);
    CHECK(lock->taken_over()->previous.state == LockState::stale_dead);
    CHECK_FALSE(lock->taken_over()->forced);
    CHECK(current_lock(vault).id == lock->info().id);
}

TEST_CASE("F11: a SIGSTOPped holder is taken over after its ttl and aborts on resume",
          "[vault][lock]") {
    TempVault vault;
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(ready[0]);
        LockOptions options;
        options.ttl = 60s;
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        if (!lock)
            ::_exit(1);
        (void)!::write(ready[1], "r", 1);
        ::raise(SIGSTOP);  // suspended "past its ttl"
        Status held = lock->check_still_held();
        if (held.ok())
            ::_exit(2);  // would have committed: the bug this test catches
        ::_exit(held.error().code == Errc::lock_lost ? 42 : 3);
    }
    ::close(ready[1]);
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    ::close(ready[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, WUNTRACED) == child);
    REQUIRE(WIFSTOPPED(status));

    // Another job, 2 minutes later by its clock: the holder is alive but has not refreshed.
    FakeClock later(system_clock().now() + 120);
    Result<WriterLock> taker = WriterLock::acquire(vault.path(), with_clock(later));
    REQUIRE(taker);
    REQUIRE(taker->taken_over());
    CHECK(taker->taken_over()->previous.info.pid == child);
    CHECK(taker->taken_over()->previous.state == LockState::stale_expired);

    REQUIRE(::kill(child, SIGCONT) == 0);
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 42);
    CHECK(current_lock(vault).id == taker->info().id);  // the resumed holder removed nothing
}

TEST_CASE("F13: a stale lock can be broken without force", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockInfo stale = foreign_lock(k_t0);
    stale.host = local_host_name();
    stale.pid = dead_pid();
    plant_lock(vault, stale);
    Result<BrokenLock> broken = break_lock(vault.path(), BreakMode::stale_only, with_clock(clock));
    REQUIRE(broken);
    CHECK_FALSE(broken->forced);
    CHECK(broken->previous.state == LockState::stale_dead);
    CHECK_FALSE(fs::exists(vault.lock_file()));
}

TEST_CASE("a crash right after creating the lock leaves a lock the next run takes over",
          "[vault][lock][hooks]") {
    if (!test_hooks::k_enabled) {
        WARN("skipped: needs a build with -DSSOESCROW_TEST_HOOKS=ON");
        return;
    }
    TempVault vault;
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::setenv("SSOESCROW_TEST_CRASH_AT", "lock-after-create", 1);
        LockOptions options;
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        ::_exit(lock ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 137);
    CHECK(current_lock(vault).pid == child);  // complete, parseable

    LockOptions options;
    Result<WriterLock> next = WriterLock::acquire(vault.path(), options);
    REQUIRE(next);
    REQUIRE(next->taken_over());
    CHECK(next->taken_over()->previous.state == LockState::stale_dead);
}

TEST_CASE("F10: a live process on this host keeps its lock until its ttl", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockInfo live = foreign_lock(k_t0);
    live.host = local_host_name();
    live.pid = 1;  // init: always alive
    plant_lock(vault, live);

    clock.set(k_t0 + 900);  // exactly ttl: not yet
    Result<WriterLock> early = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE_FALSE(early);
    CHECK(early.error().code == Errc::locked);
    CHECK(current_lock(vault).id == live.id);

    clock.set(k_t0 + 901);
    Result<WriterLock> late = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(late);
    REQUIRE(late->taken_over());
    CHECK(late->taken_over()->previous.state == LockState::stale_expired);
}

TEST_CASE("a writer removes lock temp files of dead runs on its host, and only those",
          "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    REQUIRE(ensure_private_directory(vault.path() / "locks"));
    const std::string host = local_host_name();
    // What a run killed between the temp write and its rename leaves: its lock text.
    auto plant_temp = [&](const std::string& holder_host, std::int64_t pid) {
        LockInfo info = sample_info();
        info.host = holder_host;
        info.pid = pid;
        const fs::path file = vault.path() / "locks" / (".tmp-" + to_hex(crypto::random_bytes(16)));
        std::ofstream(file) << serialise_lock(info);
        return file;
    };
    const fs::path dead_here = plant_temp(host, dead_pid());
    const fs::path live_here = plant_temp(host, ::getppid());  // a live process: maybe mid-write
    const fs::path other_host = plant_temp("other-host", dead_pid());
    const fs::path unreadable =
        vault.path() / "locks" / (".tmp-" + to_hex(crypto::random_bytes(16)));
    std::ofstream(unreadable) << "ssoescrow-lock 1\nid ";  // cut short: nothing proves whose

    Result<WriterLock> lock = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(lock);
    CHECK_FALSE(fs::exists(dead_here));
    CHECK(fs::exists(live_here));
    CHECK(fs::exists(other_host));
    CHECK(fs::exists(unreadable));
    REQUIRE(lock->release());
}

TEST_CASE("SIGTERM releases the job's writer lock, and only while it is still the job's",
          "[vault][lock]") {
    for (const bool taken_over : {false, true}) {
        TempVault vault;
        const fs::path stderr_file = vault.path() / "stderr";
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            const int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (err < 0 || ::dup2(err, STDERR_FILENO) < 0)
                ::_exit(2);
            // No InterruptCleanup: holding the lock is what arms its release.
            Result<WriterLock> lock = WriterLock::acquire(vault.path(), LockOptions{});
            if (!lock)
                ::_exit(3);
            if (taken_over) {
                // Another writer replaced it meanwhile: not ours to remove.
                LockInfo other = foreign_lock(k_t0);
                if (!write_file_durably(vault.lock_file(), as_bytes(serialise_lock(other)),
                                        Overwrite::yes, FinalMode::read_write))
                    ::_exit(5);
            }
            ::raise(SIGTERM);
            ::_exit(6);  // not reached
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGTERM);
        CHECK(fs::exists(vault.lock_file()) == taken_over);
        std::ifstream err(stderr_file);
        std::stringstream text;
        text << err.rdbuf();
        CHECK(text.str() == "ssoescrow: interrupted by SIGTERM\n");
    }
}
