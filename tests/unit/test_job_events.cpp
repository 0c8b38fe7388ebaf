// Job results for the system log (src/job_events.hpp): one event ID and level per outcome, as the
// README's table documents, messages built from public values, and the platform sink's test
// hook (platform/system_log.hpp) that the CLI tests rely on.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "platform/system_log.hpp"
#include "src/job_events.hpp"
#include "test_support.hpp"

using namespace ssoescrow;
using platform::SystemLogLevel;

namespace {

backup::JobResult committed(backup::JobKind kind) {
    backup::JobResult result;
    result.kind = kind;
    result.stored.backup_id = "0123456789abcdef0123456789abcdef";
    result.stored.path = "envelopes/0123456789abcdef0123456789abcdef.envelope";
    result.source.computer = "SSO01";
    result.source.current_msid = "{9F1C2A3B-0D4E-4F56-8A7B-1C2D3E4F5A6B}";
    return result;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

TEST_CASE("committed jobs are information events with one ID per job", "[events]") {
    const JobEvent backup_event = job_committed_event(committed(backup::JobKind::backup), "D:\\E");
    CHECK(backup_event.id == 1000);
    CHECK(backup_event.level == SystemLogLevel::information);
    CHECK(backup_event.message ==
          "ssoescrow backup 0123456789abcdef0123456789abcdef committed (vault D:\\E): current "
          "MSID {9F1C2A3B-0D4E-4F56-8A7B-1C2D3E4F5A6B}, previous MSID none, computer SSO01, "
          "envelopes/0123456789abcdef0123456789abcdef.envelope");
    CHECK(job_committed_event(committed(backup::JobKind::rotate), "v").id == 1010);
    CHECK(job_committed_event(committed(backup::JobKind::import), "v").id == 1020);

    backup::JobResult skipped = committed(backup::JobKind::backup);
    skipped.skipped_reason = "this node does not own the SSO cluster group";
    const JobEvent skipped_event = job_committed_event(skipped, "v");
    CHECK(skipped_event.id == 1001);
    CHECK(skipped_event.level == SystemLogLevel::information);
    CHECK(skipped_event.message ==
          "ssoescrow backup skipped (vault v): this node does not own the SSO cluster group");
}

TEST_CASE("failed jobs are error events naming the exit code and what to do", "[events]") {
    const Error error = make_error(Errc::bridge_failed, "SSO bridge 'backup' failed: no answer",
                                   "run the bridge by hand");
    const JobEvent event = job_failed_event("backup", error, "/srv/vault");
    CHECK(event.id == 1002);
    CHECK(event.level == SystemLogLevel::error);
    CHECK(event.message ==
          "ssoescrow backup FAILED (vault /srv/vault) (exit 9): SSO bridge 'backup' failed: no "
          "answer. What to do: run the bridge by hand");
    CHECK(job_failed_event("rotate", error, "v").id == 1012);
    CHECK(job_failed_event("import", error, "v").id == 1022);
    CHECK(job_failed_event("restore", error, "v").id == 1032);
    const JobEvent status = job_failed_event("status", make_error(Errc::io, "cannot read"), "");
    CHECK(status.id == 1042);
    CHECK(status.message == "ssoescrow status FAILED (exit 3): cannot read");
}

TEST_CASE("restore outcomes: restore and drill inform, extract warns", "[events]") {
    restore::ApplyResult result;
    result.backup_id = "b1";
    result.request_id = "r1";
    result.node = "NODE1";
    result.msid = "{9F1C2A3B-0D4E-4F56-8A7B-1C2D3E4F5A6B}";
    result.mode = restore::ApplyMode::restore;
    CHECK(restore_done_event(result, "v").id == 1030);
    CHECK(restore_done_event(result, "v").level == SystemLogLevel::information);
    result.mode = restore::ApplyMode::drill;
    CHECK(restore_done_event(result, "v").id == 1031);
    CHECK(restore_done_event(result, "v").level == SystemLogLevel::information);
    result.mode = restore::ApplyMode::extract;
    result.bak_file = "out/ssoescrow-b1.bak";
    const JobEvent extract = restore_done_event(result, "v");
    CHECK(extract.id == 1033);
    CHECK(extract.level == SystemLogLevel::warning);
    CHECK(extract.message.find("out/ssoescrow-b1.bak") != std::string::npos);
}

TEST_CASE("status: nothing when OK, else a warning, critical or unknown event", "[events]") {
    CHECK_FALSE(status_event(0, "SSOESCROW OK - 8 checks ok | age=1s;;;0\n"));
    const auto warning =
        status_event(1, "SSOESCROW WARNING - WARNING drill-age: old | a=1;2;3;0\n");
    REQUIRE(warning);
    CHECK(warning->id == 1040);
    CHECK(warning->level == SystemLogLevel::warning);
    CHECK(warning->message == "ssoescrow status: SSOESCROW WARNING - WARNING drill-age: old");
    const auto critical = status_event(2, "SSOESCROW CRITICAL - x");
    REQUIRE(critical);
    CHECK(critical->id == 1041);
    CHECK(critical->level == SystemLogLevel::error);
    CHECK(status_event(3, "SSOESCROW UNKNOWN - y")->id == 1042);
}

TEST_CASE(
    "the system log: --no-log-syslog wins, --log-syslog turns it on, else the platform default",
    "[events]") {
    CHECK_FALSE(system_log_enabled(true, true));
    CHECK_FALSE(system_log_enabled(false, true));
    CHECK(system_log_enabled(true, false));
    CHECK(system_log_enabled(false, false) == platform::system_log_on_by_default());
#ifdef _WIN32
    CHECK(platform::system_log_on_by_default());
#else
    CHECK_FALSE(platform::system_log_on_by_default());
#endif
}

TEST_CASE("the system log's test hook records events in a file, or fails on demand",
          "[events][hooks]") {
    if (!platform::test_hooks::k_enabled) {
        WARN("skipped: needs a build with -DSSOESCROW_TEST_HOOKS=ON");
        return;
    }
    test_support::TempDir dir;
    const auto file = dir / "system.log";
    {
        test_support::EnvGuard hook("SSOESCROW_TEST_SYSTEM_LOG", file.string());
        REQUIRE(
            platform::write_system_log("ssoescrow", 1002, SystemLogLevel::error, "a 100% fail"));
        report_job_event(false, {1000, SystemLogLevel::information, "not written: disabled"});
        report_job_event(true, {1040, SystemLogLevel::warning, "written"});
    }
    CHECK(read_text(file) ==
          "ssoescrow\t1002\terror\ta 100% fail\nssoescrow\t1040\twarning\twritten\n");
    test_support::EnvGuard failing("SSOESCROW_TEST_SYSTEM_LOG", "fail");
    const Status refused =
        platform::write_system_log("ssoescrow", 1000, SystemLogLevel::information, "x");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::io);
}
