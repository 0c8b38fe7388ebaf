// The bridge client against fake bridges written as POSIX shell scripts: answers, failures,
// timeouts and what reaches the child (tests/unit/windows/ runs the Windows child).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "../test_support.hpp"
#include "src/bridge/bridge_client.hpp"

using namespace ssoescrow;
using namespace ssoescrow::bridge;
using crypto::SecretBytes;
namespace fs = std::filesystem;

namespace {

// A scratch directory with fake bridges written as shell scripts.
struct FakeBridges {
    test_support::TempDir tmp{"ssoescrow-bridge-test"};
    fs::path dir = tmp.path();
    std::string script(const std::string& name, const std::string& body) const {
        fs::path path = dir / name;
        std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
        fs::permissions(path, fs::perms::owner_all);
        return path.string();
    }
};

BridgeClient client_for(const std::string& program,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    ChildLimits limits;
    limits.timeout = timeout;
    limits.max_stdout_bytes = 64 << 10;
    return BridgeClient({program}, limits);
}

SecretBytes secret(std::string_view text) {
    return SecretBytes::copy_of(as_bytes(text));
}

const char* k_status_json =
    R"({"protocol":"ssoescrow-bridge/1","ok":true,"computer":"BTS01","secret_server":"SSOVNN",)"
    R"("is_secret_server":true,"current_msid":"{2B4C0F2E-1D3A-4C5B-9E8F-0A1B2C3D4E5F}",)"
    R"("previous_msid":null,"service_state":"running","cluster":{"name":"CL1","node":"BTS01",)"
    R"("group":"SSO","owner_node":"BTS01","possible_owners":["BTS01","BTS02"],)"
    R"("resource_state":"Online"}})";

}  // namespace

TEST_CASE("status answers are parsed and checked", "[bridge]") {
    FakeBridges fakes;
    auto program =
        fakes.script("status", std::string("cat >/dev/null; [ \"$1\" = status ] || exit 9\n"
                                           "echo '") +
                                   k_status_json + "'");
    auto status = client_for(program).status();
    REQUIRE(status.ok());
    REQUIRE(status->computer == "BTS01");
    REQUIRE(status->secret_server == "SSOVNN");
    REQUIRE(status->is_secret_server);
    REQUIRE(status->current_msid == "{2B4C0F2E-1D3A-4C5B-9E8F-0A1B2C3D4E5F}");
    REQUIRE_FALSE(status->previous_msid.has_value());
    REQUIRE(status->cluster.has_value());
    REQUIRE(status->cluster->possible_owners == std::vector<std::string>{"BTS01", "BTS02"});
    // Compared case-insensitively: Windows' own "Online" is the protocol's "online".
    REQUIRE(status->cluster->resource_state == "online");

    auto bad_msid = fakes.script(
        "badmsid",
        R"(cat >/dev/null; echo '{"protocol":"ssoescrow-bridge/1","ok":true,"computer":"A","secret_server":"A","is_secret_server":true,"current_msid":"not-a-guid","previous_msid":null,"service_state":"running","cluster":null}')");
    auto failed = client_for(bad_msid).status();
    REQUIRE(failed.error().code == Errc::bridge_failed);
    REQUIRE_THAT(failed.error().message, Catch::Contains("current_msid"));
}

TEST_CASE("a bridge that answered and exited is not held up by a helper it left running",
          "[bridge]") {
    FakeBridges fakes;
    // The helper inherits stdout and stderr and keeps them open for 30 s.
    auto program = fakes.script(
        "leaves-helper", std::string("cat >/dev/null; sleep 30 &\necho '") + k_status_json + "'");
    const auto started = std::chrono::steady_clock::now();
    auto status = client_for(program, std::chrono::seconds(20)).status();
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(status.ok());
    REQUIRE(status->computer == "BTS01");
    CHECK(took < std::chrono::seconds(5));
}

TEST_CASE("cluster.resource_state: known values in any case, others a protocol error", "[bridge]") {
    FakeBridges fakes;
    auto answer = [&](const std::string& name, const std::string& state) {
        std::string body = k_status_json;
        body.replace(body.find("\"Online\""), 8, "\"" + state + "\"");
        return client_for(fakes.script(name, "cat >/dev/null; echo '" + body + "'")).status();
    };
    for (const auto& [state, expected] :
         std::vector<std::pair<std::string, std::string>>{{"online", "online"},
                                                          {"OFFLINE", "offline"},
                                                          {"Failed", "failed"},
                                                          {"pending", "pending"},
                                                          {"Unknown", "unknown"}}) {
        auto status = answer("state-" + expected, state);
        REQUIRE(status.ok());
        REQUIRE(status->cluster->resource_state == expected);
    }
    auto odd = answer("state-odd", "OnlinePending");
    REQUIRE_FALSE(odd.ok());
    REQUIRE(odd.error().code == Errc::bridge_failed);
    REQUIRE_THAT(odd.error().message, Catch::Contains("'OnlinePending'"));
    REQUIRE_THAT(odd.error().message, !Catch::Contains("bring it online"));
}

TEST_CASE("ENTSSO errors become entsso_error with advice", "[bridge]") {
    FakeBridges fakes;
    auto program = fakes.script(
        "notmaster",
        R"(cat >/dev/null; echo '{"protocol":"ssoescrow-bridge/1","ok":false,"code":10766,"message":"This function can only be performed on the master secret server"}')");
    SecretBytes password = secret("Canary-Password-123");
    auto result = client_for(program).backup("/tmp/x.bak", password, "r");
    REQUIRE(result.error().code == Errc::entsso_error);
    REQUIRE_THAT(result.error().message, Catch::Contains("10766"));
    REQUIRE_THAT(result.error().hint, Catch::Contains("master secret server"));

    for (int code : {10779, 10564, 10784, 10815, 10836, 10839, 10840, 12345}) {
        Error error = entsso_error(code, "", "SSOVNN");
        REQUIRE(error.code == Errc::entsso_error);
        REQUIRE_THAT(error.message, Catch::Contains(std::to_string(code)));
        REQUIRE_FALSE(error.hint.empty());
    }
    REQUIRE_THAT(entsso_error(10766, "", "SSOVNN").hint, Catch::Contains("SSOVNN"));
}

TEST_CASE("misbehaving bridges are bounded, named failures", "[bridge]") {
    FakeBridges fakes;
    SecretBytes password = secret("Canary-Password-123");
    auto expect_failure = [&](const std::string& body, const std::string& fragment,
                              std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        auto program = fakes.script("fake", body);
        auto started = std::chrono::steady_clock::now();
        auto result = client_for(program, timeout).backup("/tmp/x.bak", password, "reminder");
        auto took = std::chrono::steady_clock::now() - started;
        INFO(body);
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().code == Errc::bridge_failed);
        REQUIRE_THAT(result.error().message, Catch::Contains(fragment));
        REQUIRE_THAT(result.error().message, !Catch::Contains("Canary-Password-123"));
        REQUIRE(took < std::chrono::seconds(8));
    };
    SECTION("hangs") {
        expect_failure("sleep 60", "no answer within 300 ms", std::chrono::milliseconds(300));
    }
    SECTION("hangs after closing its output") {
        expect_failure("exec >&- 2>&-; sleep 60", "no answer", std::chrono::milliseconds(300));
    }
    SECTION("leaves a grandchild holding the pipes") {
        expect_failure("sleep 60 & wait", "no answer", std::chrono::milliseconds(300));
    }
    SECTION("crashes") {
        expect_failure("kill -SEGV $$", "signal 11");
    }
    SECTION("exits non-zero") {
        expect_failure("cat >/dev/null; exit 3", "status 3");
    }
    SECTION("prints garbage") {
        expect_failure("cat >/dev/null; echo hello", "not one JSON object");
    }
    SECTION("prints two objects") {
        expect_failure(R"(echo '{"protocol":"ssoescrow-bridge/1","ok":true} {}')",
                       "not one JSON object");
    }
    SECTION("prints endless output") {
        expect_failure("yes", "more than");
    }
    SECTION("speaks another protocol") {
        expect_failure(R"(cat >/dev/null; echo '{"protocol":"other/2","ok":true}')",
                       "does not speak");
    }
    SECTION("answers ok without MSIDs") {
        expect_failure(R"(cat >/dev/null; echo '{"protocol":"ssoescrow-bridge/1","ok":true}')",
                       "current_msid");
    }
    SECTION("echoes the request on stderr and fails") {
        expect_failure("cat >&2; exit 1", "withheld: it held the password");
    }
    SECTION("does not exist") {
        auto result = client_for((fakes.dir / "missing").string()).status();
        REQUIRE(result.error().code == Errc::bridge_failed);
        REQUIRE_THAT(result.error().message, Catch::Contains("cannot start"));
    }
}

TEST_CASE("the password reaches the bridge on stdin only", "[bridge]") {
    FakeBridges fakes;
    std::string record = (fakes.dir / "record").string();
    auto program = fakes.script(
        "recorder",
        "cat > '" + record + ".stdin'; echo \"$@\" > '" + record + ".argv'; env > '" + record +
            ".env'\n"
            R"(echo '{"protocol":"ssoescrow-bridge/1","ok":true,"current_msid":"{2B4C0F2E-1D3A-4C5B-9E8F-0A1B2C3D4E5F}","previous_msid":null}')");
    SecretBytes password = secret("Canary-Password-123");
    auto msids = client_for(program).backup("/tmp/x.bak", password, "reminder text");
    REQUIRE(msids.ok());
    REQUIRE(msids->current_msid == "{2B4C0F2E-1D3A-4C5B-9E8F-0A1B2C3D4E5F}");
    auto slurp = [](const std::string& path) {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    REQUIRE_THAT(slurp(record + ".stdin"), Catch::Contains("Canary-Password-123"));
    REQUIRE(slurp(record + ".argv") == "backup\n");
    REQUIRE_THAT(slurp(record + ".env"), !Catch::Contains("Canary-Password-123"));
}

TEST_CASE("bridge stderr holding the password in any encoding is withheld", "[bridge]") {
    FakeBridges fakes;
    SecretBytes password = secret("Canary-Password-123");
    // The password is the last JSON string of the request: sed cuts it out.
    const std::string extract = R"sh(pw=$(cat | sed 's/.*"password":"\([^"]*\)".*/\1/'); )sh";
    const std::vector<std::pair<std::string, std::string>> leaks = {
        {"plain", R"sh(printf 'ENTSSO said: %s\n' "$pw" >&2)sh"},
        {"hex", R"sh(printf 'blob: %s\n' "$(printf %s "$pw" | od -An -tx1 | tr -d ' \n')" >&2)sh"},
        {"HEX",
         R"sh(printf 'blob: %s\n' "$(printf %s "$pw" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" >&2)sh"},
        {"base64", R"sh(printf 'arg: %s\n' "$(printf %s "$pw" | base64 -w0)" >&2)sh"},
        {"base64 shifted", R"sh(printf 'arg: %s\n' "$(printf 'x:%s' "$pw" | base64 -w0)" >&2)sh"},
        {"base64 shifted twice",
         R"sh(printf 'arg: %s\n' "$(printf 'xy:%s;' "$pw" | base64 -w0)" >&2)sh"},
        {"base64url",
         R"sh(printf 'arg: %s\n' "$(printf '%s??>' "$pw" | base64 -w0 | tr '+/' '-_')" >&2)sh"},
        {"utf-16le", R"sh(printf 'pwsh: %s\n' "$pw" | iconv -f UTF-8 -t UTF-16LE >&2)sh"},
        {"utf-16be", R"sh(printf '%s' "$pw" | iconv -f UTF-8 -t UTF-16BE >&2)sh"},
        // 16 KiB of stderr are kept: the first 10 bytes of the password fall out of it.
        {"cut at the start of the tail",
         R"sh(printf '%s' "$pw" >&2; head -c 16375 /dev/zero | tr '\0' x >&2)sh"},
    };
    for (const auto& [name, command] : leaks) {
        INFO(name);
        auto program = fakes.script("leak", extract + command + "; exit 1");
        auto result = client_for(program).backup("/tmp/x.bak", password, "reminder");
        REQUIRE_FALSE(result.ok());
        REQUIRE(result.error().code == Errc::bridge_failed);
        CHECK_THAT(result.error().message, Catch::Contains("withheld"));
        CHECK_THAT(result.error().message, !Catch::Contains("Canary"));
    }
    // Stderr without the password is still shown (it is the operator's best clue).
    auto honest =
        fakes.script("honest", "cat >/dev/null; echo 'ENTSSO service stopped' >&2; exit 1");
    auto result = client_for(honest).backup("/tmp/x.bak", password, "reminder");
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(result.error().message, Catch::Contains("ENTSSO service stopped"));
}

TEST_CASE("ENTSSO error messages after a password are built from the code alone", "[bridge]") {
    FakeBridges fakes;
    SecretBytes password = secret("Canary-Password-123");
    auto program = fakes.script(
        "echo-error",
        R"sh(pw=$(cat | sed 's/.*"password":"\([^"]*\)".*/\1/'); )sh"
        R"sh(printf '{"protocol":"ssoescrow-bridge/1","ok":false,"code":10779,"message":"bad password %s"}' "$(printf %s "$pw" | base64 -w0)")sh");
    auto result = client_for(program).restore("/tmp/x.bak", password);
    REQUIRE(result.error().code == Errc::entsso_error);
    CHECK_THAT(result.error().message, Catch::Contains("10779"));
    CHECK_THAT(result.error().message, Catch::Contains("password is wrong"));
    CHECK_THAT(result.error().message, !Catch::Contains("bad password"));
    // Without a password in the request the bridge's words are kept.
    auto status_error = fakes.script(
        "status-error",
        R"sh(cat >/dev/null; echo '{"protocol":"ssoescrow-bridge/1","ok":false,"code":10766,"message":"not the master"}')sh");
    CHECK_THAT(client_for(status_error).status().error().message,
               Catch::Contains("not the master"));
}

TEST_CASE("reveals_secret finds every encoding, and only those", "[bridge]") {
    SecretBytes pw = secret("Zürich-Passwort-42");
    auto reveals = [&](const std::string& text) { return reveals_secret(text, pw); };
    CHECK(reveals("x Zürich-Passwort-42 y"));
    CHECK(reveals("5A C3 BC 5ac3bc72696368"));    // a hex piece at the end
    CHECK(reveals("rich-Passwort-42 and more"));  // a piece (8 bytes or more) at the start
    CHECK_FALSE(reveals("rt-42 and more"));       // shorter pieces are not judged
    CHECK_FALSE(reveals("nothing to see here"));
    CHECK_FALSE(reveals(""));
    CHECK_FALSE(reveals_secret("anything", SecretBytes()));
    // UTF-16LE of a non-ASCII password: decoded, then one unit per code point.
    std::string utf16;
    for (char16_t c : std::u16string(u"Zürich-Passwort-42")) {
        utf16.push_back(static_cast<char>(c & 0xff));
        utf16.push_back(static_cast<char>(c >> 8));
    }
    CHECK(reveals("log: " + utf16 + "\r\n"));
}

TEST_CASE("a trace records each call's ending, ENTSSO code and password sightings", "[bridge]") {
    FakeBridges fakes;
    // Echoes the request on stderr (so the password, if any), answers an ENTSSO error for
    // backup, success for reminder, and exits 2 for status.
    auto program = fakes.script("traced", R"(request=$(cat); echo "$request" >&2
case "$1" in
  backup) echo '{"protocol":"ssoescrow-bridge/1","ok":false,"code":10836,"message":"short"}' ;;
  reminder) echo '{"protocol":"ssoescrow-bridge/1","ok":true,"reminder":"r"}' ;;
  *) exit 2 ;;
esac)");
    BridgeClient client = client_for(program);
    std::vector<CallTrace> trace;
    client.set_trace(&trace);
    const SecretBytes password = secret("Trace-Password-123");
    auto refused = client.backup("x.bak", password, "r");
    REQUIRE(refused.error().code == Errc::entsso_error);
    // The bridge's stderr held the password: recorded in the trace, withheld from the message.
    REQUIRE_THAT(refused.error().message, !Catch::Contains("Trace-Password-123"));
    REQUIRE(client.reminder("x.bak").ok());
    const Status probed = client.probe("status", "{not json");
    REQUIRE(probed.error().code == Errc::bridge_failed);
    const auto slow = fakes.script("slow", "cat >/dev/null; sleep 5");
    BridgeClient hung = client_for(slow, std::chrono::milliseconds(300));
    hung.set_trace(&trace);
    REQUIRE(hung.status().error().code == Errc::bridge_failed);
    BridgeClient missing = client_for((fakes.dir / "no-such-bridge").string());
    missing.set_trace(&trace);
    REQUIRE_FALSE(missing.status().ok());

    REQUIRE(trace.size() == 5);
    CHECK(trace[0].operation == "backup");
    CHECK(trace[0].started);
    CHECK(trace[0].carried_password);
    CHECK(trace[0].password_on_stderr);
    CHECK_FALSE(trace[0].password_on_stdout);
    CHECK(trace[0].entsso_code == 10836);
    CHECK(trace[0].entsso_message);
    CHECK(trace[1].operation == "reminder");
    CHECK_FALSE(trace[1].carried_password);
    CHECK_FALSE(trace[1].entsso_code.has_value());
    CHECK(trace[2].operation == "status");
    CHECK(trace[2].ending == ChildOutcome::Ending::exited);
    CHECK(trace[2].exit_status == 2);
    CHECK(trace[3].ending == ChildOutcome::Ending::timed_out);
    CHECK(trace[3].elapsed >= std::chrono::milliseconds(300));
    CHECK_FALSE(trace[4].started);
}
