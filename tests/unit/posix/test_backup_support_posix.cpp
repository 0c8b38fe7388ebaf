// POSIX behaviour of the backup job's secret-handling pieces: the private scratch directory
// (modes, hard links, dead pids via fork), the interrupt cleanup (a forked child is sent SIGTERM
// while a .bak sits in its scratch directory) and the job log (modes, FIFOs).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "../test_vault_layout_support.hpp"
#include "platform/file_io.hpp"
#include "platform/interrupt.hpp"
#include "src/backup/password.hpp"
#include "src/backup/scratch_dir.hpp"
#include "src/job_log.hpp"
#include "vault/writer.hpp"

using namespace vault_test;
using ssoescrow::JobLog;
using ssoescrow::platform::InterruptCleanup;
namespace backup = ssoescrow::backup;

namespace {

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("a scratch directory is private and wiped with everything in it", "[backup]") {
    TempDir temp;
    auto created = backup::ScratchDir::create(temp.path());
    REQUIRE(created);
    backup::ScratchDir scratch = std::move(created).value();
    const fs::path dir = scratch.dir();
    REQUIRE(mode_of(dir) == 0700);
    REQUIRE(dir.filename().string().rfind("ssoescrow-scratch-" + std::to_string(::getpid()) + "-",
                                          0) == 0);

    // A file the bridge wrote, and a symlink planted to an outside file (never followed).
    write_text(dir / "x.bak", std::string(10000, 'S'));
    const fs::path outside = temp.path() / "outside";
    write_text(outside, "keep me");
    fs::create_symlink(outside, dir / "link");
    REQUIRE(scratch.wipe_and_remove());
    REQUIRE_FALSE(fs::exists(dir));
    REQUIRE(read_text(outside) == "keep me");
    REQUIRE(scratch.wipe_and_remove());  // idempotent
}

TEST_CASE("wiping a file overwrites its blocks before unlinking it", "[backup]") {
    TempDir temp;
    const fs::path file = temp.path() / "x.bak";
    write_text(file, std::string(5000, 'Q'));
    // A second name for the same inode shows what the blocks hold after the wipe.
    const fs::path witness = temp.path() / "witness";
    REQUIRE(::link(file.c_str(), witness.c_str()) == 0);
    REQUIRE(backup::wipe_and_remove_file(file));
    REQUIRE_FALSE(fs::exists(file));
    REQUIRE(read_text(witness) == std::string(5000, '\0'));
    REQUIRE(backup::wipe_and_remove_file(file));  // missing: fine
}

TEST_CASE("scratch directories refuse unsafe parents", "[backup]") {
    TempDir temp;
    const fs::path open_dir = temp.path() / "open";
    fs::create_directory(open_dir);
    REQUIRE(::chmod(open_dir.c_str(), 0777) == 0);
    auto refused = backup::ScratchDir::create(open_dir);
    REQUIRE_FALSE(refused);
    REQUIRE(refused.error().code == Errc::unsafe_permissions);
    REQUIRE(::chmod(open_dir.c_str(), 01777) == 0);  // sticky, like /tmp: fine
    REQUIRE(backup::ScratchDir::create(open_dir));

    fs::create_symlink(open_dir, temp.path() / "link");
    auto via_link = backup::ScratchDir::create(temp.path() / "link");
    REQUIRE_FALSE(via_link);
    REQUIRE(via_link.error().code == Errc::unsafe_permissions);
}

TEST_CASE("scratch directories of dead runs are removed, live ones kept", "[backup]") {
    TempDir temp;
    // A pid that is certainly dead: a child that has exited and been reaped.
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    const fs::path dead = temp.path() / ("ssoescrow-scratch-" + std::to_string(child) + "-abc123");
    const fs::path live =
        temp.path() / ("ssoescrow-scratch-" + std::to_string(::getpid()) + "-def456");
    const fs::path other = temp.path() / "unrelated-dir";
    for (const fs::path& dir : {dead, live, other}) {
        fs::create_directory(dir);
        write_text(dir / "x.bak", "data");
    }
    const backup::ScratchCleanup cleanup = backup::remove_abandoned_scratch_dirs(temp.path());
    REQUIRE(cleanup.removed == 1);
    CHECK(cleanup.skipped.empty());
    REQUIRE_FALSE(fs::exists(dead));
    REQUIRE(fs::exists(live / "x.bak"));
    REQUIRE(fs::exists(other / "x.bak"));
}

TEST_CASE("an abandoned scratch entry that cannot be removed is skipped and named", "[backup]") {
    TempDir temp;
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    const std::string prefix = "ssoescrow-scratch-" + std::to_string(child) + "-";
    // A directory where a .bak was expected: not a file ssoescrow wrote.
    const fs::path blocked = temp.path() / (prefix + "abc123");
    fs::create_directories(blocked / "ssoescrow-x.bak");
    write_text(blocked / "ssoescrow-y.bak", "data");
    // Another abandoned one is still removed; a look-alike name is not ours and not touched.
    const fs::path dead = temp.path() / (prefix + "def456");
    fs::create_directory(dead);
    write_text(dead / "x.bak", "data");
    const fs::path look_alike = temp.path() / (prefix + "not-mkdtemp");
    fs::create_directory(look_alike);

    const backup::ScratchCleanup cleanup = backup::remove_abandoned_scratch_dirs(temp.path());
    CHECK(cleanup.removed == 1);
    REQUIRE(cleanup.skipped.size() == 1);
    CHECK(cleanup.skipped[0].find(blocked.string()) != std::string::npos);
    CHECK(cleanup.skipped[0].find("ssoescrow-x.bak") != std::string::npos);
    CHECK(fs::is_directory(blocked / "ssoescrow-x.bak"));
    CHECK_FALSE(fs::exists(blocked / "ssoescrow-y.bak"));  // ours: still wiped
    CHECK_FALSE(fs::exists(dead));
    CHECK(fs::exists(look_alike));

    // A temp directory that cannot be listed is reported, not an error.
    const backup::ScratchCleanup missing =
        backup::remove_abandoned_scratch_dirs(temp.path() / "no-such-dir");
    CHECK(missing.removed == 0);
    CHECK(missing.skipped.empty());
}

TEST_CASE("SIGTERM wipes the watched scratch directory and ends the process", "[backup]") {
    TempDir temp;
    const fs::path dir = temp.path() / "scratch";
    fs::create_directory(dir);
    write_text(dir / "x.bak", std::string(3000, 'B'));
    const fs::path witness = temp.path() / "witness";
    REQUIRE(::link((dir / "x.bak").c_str(), witness.c_str()) == 0);

    const fs::path child_stderr = temp.path() / "stderr";
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const int err = ::open(child_stderr.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (err < 0 || ::dup2(err, STDERR_FILENO) < 0)
            ::_exit(2);
        auto cleanup = InterruptCleanup::install();
        if (!cleanup || !cleanup.value().watch_directory(dir))
            ::_exit(3);
        ::raise(SIGTERM);
        ::_exit(4);  // not reached: the handler re-raises with the default action
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGTERM);
    REQUIRE_FALSE(fs::exists(dir));
    REQUIRE(read_text(witness) == std::string(3000, '\0'));
    // The job's log says why it ended.
    CHECK(read_text(child_stderr) == "ssoescrow: interrupted by SIGTERM\n");
}

TEST_CASE("a signal ends the JSON job log with a failed line naming it", "[backup][interrupt]") {
    for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
        TempDir temp;
        const fs::path file = temp.path() / "job.log";
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            const int null = ::open("/dev/null", O_WRONLY);
            if (null < 0 || ::dup2(null, STDERR_FILENO) < 0)
                ::_exit(2);
            FakeClock clock(k_t0);
            JobLog log("backup", JobLog::Verbosity::quiet, clock);
            if (!log.open_json(file))
                ::_exit(3);
            clock.advance(90);
            log.info("bridge-backup", "the bridge writes the backup");  // re-times the line
            ::raise(sig);
            ::_exit(4);  // not reached
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(WTERMSIG(status) == sig);
        std::ifstream in(file);
        std::vector<nlohmann::json> lines;
        for (std::string line; std::getline(in, line);)
            lines.push_back(nlohmann::json::parse(line));
        REQUIRE(lines.size() == 2);
        const std::string name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
        const nlohmann::json& failed = lines[1];
        CHECK(failed["schema"] == "ssoescrow-log/1");
        CHECK(failed["time"] == lines[0]["time"]);
        CHECK(failed["time"] == "2026-11-26T12:36:26Z");
        CHECK(failed["level"] == "error");
        CHECK(failed["command"] == "backup");
        CHECK(failed["event"] == "failed");
        CHECK(failed["message"] == "interrupted by " + name);
        CHECK(failed["fields"]["signal"] == name);
        CHECK(failed["fields"]["exit-code"] == std::to_string(128 + sig));
    }
}

TEST_CASE("a failed job log is not given a second failed line by a later signal",
          "[backup][interrupt]") {
    TempDir temp;
    const fs::path file = temp.path() / "job.log";
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        if (null < 0 || ::dup2(null, STDERR_FILENO) < 0)
            ::_exit(2);
        auto cleanup = InterruptCleanup::install();  // keeps the handler after the log's line
        FakeClock clock(k_t0);
        JobLog log("restore", JobLog::Verbosity::quiet, clock);
        if (!cleanup || !log.open_json(file))
            ::_exit(3);
        log.failure(make_error(Errc::bridge_failed, "the bridge hung"));
        ::raise(SIGTERM);
        ::_exit(4);  // not reached
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    std::ifstream in(file);
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(nlohmann::json::parse(line));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0]["message"] == "the bridge hung");
}

TEST_CASE("only one interrupt cleanup at a time: handlers restored after it", "[backup]") {
    struct sigaction before {};
    ::sigaction(SIGTERM, nullptr, &before);
    {
        auto first = InterruptCleanup::install();
        REQUIRE(first);
        auto second = InterruptCleanup::install();
        REQUIRE_FALSE(second);
        REQUIRE(second.error().code == Errc::internal);
    }
    struct sigaction after {};
    ::sigaction(SIGTERM, nullptr, &after);
    REQUIRE(after.sa_handler == before.sa_handler);
    REQUIRE(InterruptCleanup::install());
}

TEST_CASE("the JSON job log writes one object per line, 0600, never through a symlink",
          "[backup]") {
    TempDir temp;
    FakeClock clock(k_t0);
    const fs::path file = temp.path() / "job.log";
    {
        JobLog log("backup", JobLog::Verbosity::quiet, clock);
        REQUIRE(log.open_json(file));
        log.debug("step-one", "a debug line", {{"backup", "abc"}});
        log.info("step-two", std::string("bad utf-8 \xff here"));
        log.failure(make_error(Errc::bridge_failed, "the bridge hung", "run it by hand"));
    }
    REQUIRE(mode_of(file) == 0600);
    std::ifstream in(file);
    std::string line;
    std::vector<nlohmann::json> lines;
    while (std::getline(in, line))
        lines.push_back(nlohmann::json::parse(line));
    REQUIRE(lines.size() == 3);
    REQUIRE(lines[0]["schema"] == "ssoescrow-log/1");
    REQUIRE(lines[0]["time"] == "2026-11-26T12:34:56Z");
    REQUIRE(lines[0]["level"] == "debug");
    REQUIRE(lines[0]["command"] == "backup");
    REQUIRE(lines[0]["event"] == "step-one");
    REQUIRE(lines[0]["fields"]["backup"] == "abc");
    REQUIRE(lines[1]["message"].get<std::string>().find("bad utf-8") == 0);
    REQUIRE(lines[2]["level"] == "error");
    REQUIRE(lines[2]["fields"]["exit-code"] == "9");
    REQUIRE(lines[2]["fields"]["hint"] == "run it by hand");

    // A FIFO is refused at once instead of blocking the job until someone reads it.
    const fs::path fifo = temp.path() / "fifo.log";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    JobLog to_fifo("backup", JobLog::Verbosity::quiet, clock);
    REQUIRE_FALSE(to_fifo.open_json(fifo));

    const fs::path link = temp.path() / "link.log";
    fs::create_symlink(file, link);
    JobLog other("backup", JobLog::Verbosity::quiet, clock);
    auto refused = other.open_json(link);
    REQUIRE_FALSE(refused);
    REQUIRE(refused.error().message.find("--log-json") != std::string::npos);
}
