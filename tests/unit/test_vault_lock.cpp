// The vault writer lock (vault/lock.hpp): file format, exclusive creation, stale detection and
// takeover, clock skew, lost locks, forced breaking. Reliability scenarios F9-F13 that need no
// process control run on every system (on Windows the lock's liveness and host checks are the
// Windows ones); forked racers, a dead pid and a stopped holder are in posix/. Each case works in
// a fresh temp directory.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "platform/process_info.hpp"
#include "test_vault_lock_support.hpp"

namespace fs = std::filesystem;
using namespace ssoescrow;
using namespace ssoescrow::vault;
using namespace ssoescrow::platform;
using namespace lock_test;
using test_support::EnvGuard;
using namespace std::chrono_literals;

namespace {

const std::string k_sample_text =
    "ssoescrow-lock 1\n"
    "id 00112233445566778899aabbccddeeff\n"
    "host backup-host.example.com\n"
    "pid 4242\n"
    "operation backup\n"
    "started 1800000000\n"
    "refreshed 1800000060\n"
    "ttl 900\n";

}  // namespace

// --- Format ---

TEST_CASE("lock file: canonical round trip", "[vault][lock]") {
    Result<LockInfo> parsed = parse_lock(k_sample_text, "writer.lock");
    REQUIRE(parsed);
    CHECK(parsed->id == "00112233445566778899aabbccddeeff");
    CHECK(parsed->host == "backup-host.example.com");
    CHECK(parsed->pid == 4242);
    CHECK(parsed->operation == "backup");
    CHECK(parsed->started == k_t0);
    CHECK(parsed->refreshed == k_t0 + 60);
    CHECK(parsed->ttl_seconds == 900);
    CHECK(serialise_lock(*parsed) == k_sample_text);
    CHECK(serialise_lock(sample_info()) == k_sample_text);
}

TEST_CASE("lock file: every non-canonical or out-of-range form is refused", "[vault][lock]") {
    auto replace = [](std::string text, const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    };
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"empty", ""},
        {"no final newline", k_sample_text.substr(0, k_sample_text.size() - 1)},
        {"CRLF", replace(k_sample_text, "pid 4242\n", "pid 4242\r\n")},
        {"extra line", k_sample_text + "extra 1\n"},
        {"missing line", replace(k_sample_text, "ttl 900\n", "")},
        {"wrong magic", replace(k_sample_text, "ssoescrow-lock 1", "ssoescrow-lok 1")},
        {"fields swapped", replace(replace(k_sample_text, "pid 4242\n", "PID\n"),
                                   "host backup-host.example.com\n", "pid 4242\n")},
        {"double space", replace(k_sample_text, "pid 4242", "pid  4242")},
        {"trailing space", replace(k_sample_text, "pid 4242", "pid 4242 ")},
        {"upper-case id", replace(k_sample_text, "aabbccddeeff", "AABBCCDDEEFF")},
        {"short id", replace(k_sample_text, "00112233", "0011223")},
        {"empty host", replace(k_sample_text, "backup-host.example.com", "")},
        {"host with space", replace(k_sample_text, "backup-host", "backup host")},
        {"host too long", replace(k_sample_text, "backup-host.example.com", std::string(254, 'h'))},
        {"pid zero", replace(k_sample_text, "pid 4242", "pid 0")},
        {"pid leading zero", replace(k_sample_text, "pid 4242", "pid 04242")},
        {"pid negative", replace(k_sample_text, "pid 4242", "pid -4242")},
        {"pid plus", replace(k_sample_text, "pid 4242", "pid +4242")},
        {"pid too big", replace(k_sample_text, "pid 4242", "pid 2147483648")},
        {"pid overflow", replace(k_sample_text, "pid 4242", "pid 99999999999999999999")},
        {"operation upper", replace(k_sample_text, "operation backup", "operation Backup")},
        {"operation too long",
         replace(k_sample_text, "operation backup", "operation " + std::string(33, 'a'))},
        {"started after 9999",
         replace(k_sample_text, "started 1800000000", "started 253402300800")},
        {"refreshed hex", replace(k_sample_text, "refreshed 1800000060", "refreshed 0x10")},
        {"ttl zero", replace(k_sample_text, "ttl 900", "ttl 0")},
        {"ttl above a week", replace(k_sample_text, "ttl 900", "ttl 604801")},
        {"NUL in host", replace(k_sample_text, "backup-host", std::string("backup\0host", 11))},
        {"too large", k_sample_text + std::string(1100, '#')},
    };
    for (const auto& [name, text] : bad) {
        CAPTURE(name);
        Result<LockInfo> r = parse_lock(text, "locks/writer.lock");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::parse);
        CHECK_THAT(r.error().message, Catch::Contains("locks/writer.lock"));
    }
    // Limits themselves are accepted.
    CHECK(parse_lock(replace(k_sample_text, "ttl 900", "ttl 604800"), "x"));
    CHECK(parse_lock(replace(k_sample_text, "pid 4242", "pid 2147483647"), "x"));
    CHECK(parse_lock(replace(k_sample_text, "started 1800000000", "started 0"), "x"));
    CHECK(
        parse_lock(replace(k_sample_text, "backup-host.example.com", std::string(253, 'h')), "x"));
}

TEST_CASE("lock file: another version is 'unsupported version N'", "[vault][lock]") {
    std::string text = k_sample_text;
    text.replace(0, 16, "ssoescrow-lock 2");
    Result<LockInfo> r = parse_lock(text, "writer.lock");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::unsupported_version);
    CHECK_THAT(r.error().message, Catch::Contains("unsupported version 2"));
}

TEST_CASE("local host name is valid lock-file text", "[vault][lock]") {
    LockInfo info = sample_info();
    info.host = local_host_name();
    CHECK(parse_lock(serialise_lock(info), "x"));
}

// --- Acquire and release ---

TEST_CASE("acquire creates a private lock, release removes it", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockOptions options = with_clock(clock);
    {
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE(lock);
        CHECK(lock->held());
        CHECK_FALSE(lock->taken_over());
        const LockInfo on_disk = current_lock(vault);
        CHECK(on_disk.id == lock->info().id);
        CHECK(on_disk.host == local_host_name());
        CHECK(on_disk.pid == platform::current_process_id());
        CHECK(on_disk.operation == "backup");
        CHECK(on_disk.started == k_t0);
        CHECK(on_disk.refreshed == k_t0);
        CHECK(on_disk.ttl_seconds == 900);

        // A second writer (even in the same process) is refused, naming the holder.
        Result<WriterLock> second = WriterLock::acquire(vault.path(), options);
        REQUIRE_FALSE(second);
        CHECK(second.error().code == Errc::locked);
        CHECK_THAT(second.error().message, Catch::Contains(local_host_name()));
        CHECK_THAT(second.error().message,
                   Catch::Contains("pid " + std::to_string(platform::current_process_id())));
        CHECK_THAT(second.error().message, Catch::Contains("backup"));
        CHECK_FALSE(second.error().hint.empty());

        REQUIRE(lock->check_still_held());
        REQUIRE(lock->release());
        CHECK_FALSE(lock->held());
        CHECK_FALSE(fs::exists(vault.lock_file()));
        REQUIRE(lock->release());  // releasing twice is harmless
    }
    SECTION("the destructor releases") {
        { REQUIRE(WriterLock::acquire(vault.path(), options)); }
        CHECK_FALSE(fs::exists(vault.lock_file()));
    }
    SECTION("a moved lock is released once, by its new owner") {
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE(lock);
        WriterLock moved = std::move(*lock);
        CHECK(moved.held());
        REQUIRE(moved.check_still_held());
        REQUIRE(moved.release());
        CHECK_FALSE(fs::exists(vault.lock_file()));
    }
}

TEST_CASE("read_lock_status writes nothing", "[vault][lock]") {
    TempVault vault;
    LockOptions options;
    Result<std::optional<LockStatus>> none = read_lock_status(vault.path(), options);
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
    CHECK_FALSE(fs::exists(vault.path() / "locks"));
}

TEST_CASE("refresh moves the refresh time and refresh_if_due only when due", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockOptions options = with_clock(clock);
    Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
    REQUIRE(lock);
    clock.advance(120);
    REQUIRE(lock->refresh_if_due());  // 15 min ttl: not due after a moment of steady time
    CHECK(current_lock(vault).refreshed == k_t0);
    REQUIRE(lock->refresh());
    CHECK(current_lock(vault).refreshed == k_t0 + 120);
    CHECK(current_lock(vault).started == k_t0);
    CHECK(current_lock(vault).id == lock->info().id);

    options.ttl = 1s;  // due after a third of a second
    Result<WriterLock> short_lived = [&] {
        REQUIRE(lock->release());
        return WriterLock::acquire(vault.path(), options);
    }();
    REQUIRE(short_lived);
    std::this_thread::sleep_for(400ms);
    clock.advance(5);
    REQUIRE(short_lived->refresh_if_due());
    CHECK(current_lock(vault).refreshed == k_t0 + 125);
}

TEST_CASE("waiting for a live lock is bounded", "[vault][lock]") {
    TempVault vault;
    LockOptions options;
    Result<WriterLock> holder = WriterLock::acquire(vault.path(), options);
    REQUIRE(holder);
    options.wait = 400ms;
    options.poll_interval = 50ms;
    const auto start = std::chrono::steady_clock::now();
    Result<WriterLock> waiter = WriterLock::acquire(vault.path(), options);
    const auto waited = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(waiter);
    CHECK(waiter.error().code == Errc::locked);
    CHECK(waited >= 400ms);
    CHECK(waited < 5s);
}

// --- F9: concurrent writers ---

// --- F10: stale and foreign locks ---

TEST_CASE("a lock naming this process that it does not hold is a dead predecessor's (reused pid)",
          "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    LockInfo predecessor = foreign_lock(k_t0);
    predecessor.host = local_host_name();
    predecessor.pid = platform::current_process_id();
    plant_lock(vault, predecessor);

    Result<WriterLock> lock = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(lock);
    REQUIRE(lock->taken_over());
    CHECK(lock->taken_over()->previous.state == LockState::stale_dead);

    // The lock this process does hold stays live for a second writer in the same process.
    Result<WriterLock> second = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE_FALSE(second);
    CHECK(second.error().code == Errc::locked);
    REQUIRE(lock->release());
}

TEST_CASE("F10: another host's lock is not broken before ttl + allowed clock skew",
          "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0 + 600);
    const LockInfo foreign = foreign_lock(k_t0);
    plant_lock(vault, foreign);

    Result<WriterLock> refused = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::locked);
    CHECK_THAT(refused.error().message, Catch::Contains("other-host"));
    CHECK_THAT(refused.error().message, Catch::Contains("pid 777"));
    CHECK_THAT(refused.error().message, Catch::Contains("10m 0s ago"));
    CHECK_THAT(refused.error().hint, Catch::Contains("ssoescrow vault unlock --vault " +
                                                     vault.path().string() + " --force"));
    CHECK(current_lock(vault).id == foreign.id);

    clock.set(k_t0 + 900 + 7200);  // ttl + 2 h: still not
    REQUIRE_FALSE(WriterLock::acquire(vault.path(), with_clock(clock)));
    CHECK(current_lock(vault).id == foreign.id);

    clock.set(k_t0 + 900 + 7200 + 1);
    Result<WriterLock> taken = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(taken);
    REQUIRE(taken->taken_over());
    CHECK(taken->taken_over()->previous.info.host == "other-host");
    CHECK(taken->taken_over()->previous.state == LockState::stale_expired);
    CHECK(taken->taken_over()->previous.age_seconds == 900 + 7200 + 1);
}

// --- F11: a suspended holder loses its lock and notices ---

TEST_CASE("F11: a holder whose lock was replaced gets lock_lost and removes nothing",
          "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    Result<WriterLock> ours = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(ours);

    const LockInfo theirs = foreign_lock(k_t0);
    plant_lock(vault, theirs);  // what a takeover looks like from the holder's side

    Status check = ours->check_still_held();
    REQUIRE_FALSE(check);
    CHECK(check.error().code == Errc::lock_lost);
    CHECK_THAT(check.error().message, Catch::Contains("other-host"));
    CHECK_THAT(check.error().hint, Catch::Contains("nothing was committed"));

    Status refresh = ours->refresh();
    REQUIRE_FALSE(refresh);
    CHECK(refresh.error().code == Errc::lock_lost);
    CHECK(current_lock(vault).id == theirs.id);

    Status release = ours->release();
    REQUIRE_FALSE(release);
    CHECK(release.error().code == Errc::lock_lost);
    CHECK(current_lock(vault).id == theirs.id);  // never removes somebody else's lock

    SECTION("a removed lock file is also a lost lock") {
        Result<WriterLock> again = [&] {
            REQUIRE(break_lock(vault.path(), BreakMode::force, with_clock(clock)));
            return WriterLock::acquire(vault.path(), with_clock(clock));
        }();
        REQUIRE(again);
        REQUIRE(remove_file_durably(vault.lock_file()));
        Status gone = again->check_still_held();
        REQUIRE_FALSE(gone);
        CHECK(gone.error().code == Errc::lock_lost);
        CHECK_THAT(gone.error().message, Catch::Contains("removed"));
    }
}

// --- F12: clock skew and clock steps ---

TEST_CASE("F12: a lock from a clock 2 h ahead is live and flagged as in the future",
          "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    plant_lock(vault, foreign_lock(k_t0 + 7200));
    Result<std::optional<LockStatus>> status = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(status);
    REQUIRE(status->has_value());
    CHECK((*status)->in_future);
    CHECK((*status)->age_seconds == 0);
    CHECK((*status)->state == LockState::live);

    Result<WriterLock> refused = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::locked);
    CHECK_THAT(refused.error().message, Catch::Contains("future"));
    CHECK_THAT(refused.error().hint, Catch::Contains("clocks"));

    clock.set(k_t0 + 30 * 86400);  // once our clock has passed it, it ages like any other
    Result<std::optional<LockStatus>> later = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(later);
    CHECK((*later)->state == LockState::stale_expired);
}

TEST_CASE("F12: a live lock from a clock 2 h behind is not broken early", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    // The holder refreshed "now" by its own clock, which is 2 h behind ours.
    plant_lock(vault, foreign_lock(k_t0 - 7200));
    Result<std::optional<LockStatus>> status = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(status);
    CHECK((*status)->age_seconds == 7200);
    CHECK_FALSE((*status)->in_future);
    CHECK((*status)->state == LockState::live);
    REQUIRE_FALSE(WriterLock::acquire(vault.path(), with_clock(clock)));

    clock.advance(900);  // the holder stopped refreshing ttl ago (by its clock): still not
    REQUIRE_FALSE(WriterLock::acquire(vault.path(), with_clock(clock)));
    clock.advance(1);
    REQUIRE(WriterLock::acquire(vault.path(), with_clock(clock)));
}

TEST_CASE("F12: a clock stepped back mid-job: ages are never negative", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    Result<WriterLock> lock = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(lock);
    clock.set(k_t0 - 3 * 3600);  // NTP step back by 3 h
    REQUIRE(lock->refresh());
    REQUIRE(lock->check_still_held());
    const LockInfo on_disk = current_lock(vault);
    CHECK(on_disk.refreshed == k_t0 - 3 * 3600);
    CHECK(on_disk.started == k_t0);
    CHECK(parse_lock(serialise_lock(on_disk), "x"));  // refreshed < started is valid

    clock.set(k_t0 - 4 * 3600);
    Result<std::optional<LockStatus>> status = read_lock_status(vault.path(), with_clock(clock));
    REQUIRE(status);
    CHECK((*status)->age_seconds == 0);
    CHECK((*status)->in_future);
    CHECK((*status)->state == LockState::live);
    REQUIRE(lock->release());
}

// --- F13: unlock while a job runs ---

TEST_CASE("F13: breaking a live lock needs force, and reports what was removed", "[vault][lock]") {
    TempVault vault;
    FakeClock clock(k_t0);
    Result<WriterLock> holder = WriterLock::acquire(vault.path(), with_clock(clock));
    REQUIRE(holder);

    Result<BrokenLock> refused = break_lock(vault.path(), BreakMode::stale_only, with_clock(clock));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::locked);
    CHECK(current_lock(vault).id == holder->info().id);

    Result<BrokenLock> forced = break_lock(vault.path(), BreakMode::force, with_clock(clock));
    REQUIRE(forced);
    CHECK(forced->forced);
    CHECK_FALSE(forced->malformed);
    CHECK(forced->previous.info.id == holder->info().id);
    CHECK(forced->previous.state == LockState::live);
    CHECK_FALSE(fs::exists(vault.lock_file()));

    Status lost = holder->check_still_held();
    REQUIRE_FALSE(lost);
    CHECK(lost.error().code == Errc::lock_lost);

    Result<BrokenLock> none = break_lock(vault.path(), BreakMode::force, with_clock(clock));
    REQUIRE_FALSE(none);
    CHECK(none.error().code == Errc::not_found);
}

TEST_CASE("a malformed lock file blocks writers until removed by force", "[vault][lock]") {
    TempVault vault;
    REQUIRE(ensure_private_directory(vault.path() / "locks"));
    REQUIRE(write_file_durably(vault.lock_file(), as_bytes("garbage\n"), Overwrite::no,
                               FinalMode::read_write));
    LockOptions options;
    Result<WriterLock> refused = WriterLock::acquire(vault.path(), options);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::parse);
    CHECK_THAT(refused.error().message, Catch::Contains("writer.lock"));
    CHECK_THAT(refused.error().hint, Catch::Contains("ssoescrow vault unlock --vault " +
                                                     vault.path().string() + " --force"));

    REQUIRE_FALSE(break_lock(vault.path(), BreakMode::stale_only, options));
    CHECK(fs::exists(vault.lock_file()));
    Result<BrokenLock> forced = break_lock(vault.path(), BreakMode::force, options);
    REQUIRE(forced);
    CHECK(forced->malformed);
    CHECK(forced->forced);
    REQUIRE(WriterLock::acquire(vault.path(), options));
}

TEST_CASE("invalid lock options are refused", "[vault][lock]") {
    TempVault vault;
    LockOptions options;
    options.operation = "Backup Now";
    CHECK_FALSE(WriterLock::acquire(vault.path(), options));
    options.operation = "backup";
    options.ttl = 0s;
    Result<WriterLock> zero = WriterLock::acquire(vault.path(), options);
    REQUIRE_FALSE(zero);
    CHECK(zero.error().code == Errc::invalid_argument);
    options.ttl = std::chrono::seconds(k_lock_max_ttl_seconds + 1);
    CHECK_FALSE(WriterLock::acquire(vault.path(), options));
    CHECK_FALSE(fs::exists(vault.lock_file()));
}

// --- F5, F7: a full disk or a read-only vault ---

TEST_CASE("a read-only vault: 'vault is read-only', nothing written (F7)", "[vault][lock][hooks]") {
    if (!test_hooks::k_enabled) {
        WARN("skipped: needs a build with -DSSOESCROW_TEST_HOOKS=ON");
        return;
    }
    TempVault vault;
    LockOptions options;
    {
        EnvGuard fault("SSOESCROW_TEST_FAULT", "erofs:open");
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE_FALSE(lock);
        CHECK(lock.error().code == Errc::read_only);
        CHECK_THAT(lock.error().message, Catch::Contains("vault is read-only"));
        CHECK_THAT(lock.error().hint, Catch::Contains("read-only copy"));
        CHECK_FALSE(fs::exists(vault.path() / "locks"));
    }
    {
        REQUIRE(ensure_private_directory(vault.path() / "locks"));
        EnvGuard fault("SSOESCROW_TEST_FAULT", "erofs:open");
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE_FALSE(lock);
        CHECK(lock.error().code == Errc::read_only);
        CHECK(fs::is_empty(vault.path() / "locks"));
    }
}

TEST_CASE("no space for the lock: no_space, no lock and no temp file left (F5)",
          "[vault][lock][hooks]") {
    if (!test_hooks::k_enabled) {
        WARN("skipped: needs a build with -DSSOESCROW_TEST_HOOKS=ON");
        return;
    }
    TempVault vault;
    LockOptions options;
    for (const char* f : {"enospc:write", "eio:fsync"}) {
        CAPTURE(f);
        EnvGuard fault("SSOESCROW_TEST_FAULT", f);
        Result<WriterLock> lock = WriterLock::acquire(vault.path(), options);
        REQUIRE_FALSE(lock);
        CHECK(lock.error().code == (std::string(f) == "enospc:write" ? Errc::no_space : Errc::io));
        CHECK(fs::is_empty(vault.path() / "locks"));
    }
    REQUIRE(WriterLock::acquire(vault.path(), options));
}
