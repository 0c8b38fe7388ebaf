// The bridge protocol on every system: --bridge splitting (POSIX rules; both rule sets in
// test_command_line.cpp), requests and answers. Runs against fake bridges are in
// posix/test_bridge_client_posix.cpp and windows/test_child_process_windows.cpp.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "platform/command_line.hpp"
#include "src/bridge/bridge_client.hpp"

using namespace ssoescrow;
using namespace ssoescrow::bridge;
using crypto::SecretBytes;
using ssoescrow::platform::split_posix_command_line;

namespace {

SecretBytes secret(std::string_view text) {
    return SecretBytes::copy_of(as_bytes(text));
}

}  // namespace

TEST_CASE("bridge command lines split like a POSIX shell, without one", "[bridge]") {
    auto split = [](std::string_view text) { return split_posix_command_line(text).value(); };
    REQUIRE(split("sso-emulator --state /tmp/x") ==
            std::vector<std::string>{"sso-emulator", "--state", "/tmp/x"});
    REQUIRE(split("  a\t 'b c'  \"d \\\"e\\\" $f\" g\\ h ''") ==
            std::vector<std::string>{"a", "b c", "d \"e\" $f", "g h", ""});
    REQUIRE(split("echo $HOME;rm -rf *") ==
            std::vector<std::string>{"echo", "$HOME;rm", "-rf", "*"});
    REQUIRE(split("pwsh -File 'C:\\Program Files\\x.ps1'") ==
            std::vector<std::string>{"pwsh", "-File", "C:\\Program Files\\x.ps1"});
    REQUIRE(split_posix_command_line("").error().code == Errc::usage);
    REQUIRE(split_posix_command_line("   ").error().code == Errc::usage);
    REQUIRE_THAT(split_posix_command_line("a 'b").error().message, Catch::Contains("single quote"));
    REQUIRE_THAT(split_posix_command_line("a \"b").error().message,
                 Catch::Contains("double quote"));
    REQUIRE_THAT(split_posix_command_line("a \\").error().message, Catch::Contains("backslash"));
}

TEST_CASE("requests carry the password only in the JSON body, escaped", "[bridge]") {
    SecretBytes password = secret("p\"a\\s\ts");
    auto request =
        build_request({{"file", "C:\\temp\\x.bak"}, {"reminder", "backup 42"}}, &password);
    REQUIRE(request.ok());
    std::string text(reinterpret_cast<const char*>(request->data()), request->size());
    auto parsed = nlohmann::json::parse(text);
    REQUIRE(parsed["protocol"] == "ssoescrow-bridge/1");
    REQUIRE(parsed["file"] == "C:\\temp\\x.bak");
    REQUIRE(parsed["password"] == "p\"a\\s\ts");
    REQUIRE(parsed["reminder"] == "backup 42");
    auto empty = build_request({}, nullptr);
    REQUIRE(empty.ok());
    std::string empty_text(reinterpret_cast<const char*>(empty->data()), empty->size());
    REQUIRE(empty_text == R"({"protocol":"ssoescrow-bridge/1"})");
}

TEST_CASE("MSIDs are GUIDs, with or without braces", "[bridge]") {
    REQUIRE(is_msid("{2B4C0F2E-1D3A-4C5B-9E8F-0A1B2C3D4E5F}"));
    REQUIRE(is_msid("2b4c0f2e-1d3a-4c5b-9e8f-0a1b2c3d4e5f"));
    REQUIRE_FALSE(is_msid("{2b4c0f2e-1d3a-4c5b-9e8f-0a1b2c3d4e5f"));
    REQUIRE_FALSE(is_msid("2b4c0f2e1d3a4c5b9e8f0a1b2c3d4e5f"));
    REQUIRE_FALSE(is_msid(""));
}

TEST_CASE("ENTSSO codes reported as COM HRESULTs are read as ENTSSO's numbers", "[bridge]") {
    using ssoescrow::bridge::entsso_number_of;
    using ssoescrow::bridge::reported_entsso_error;
    CHECK(entsso_number_of(10766) == 10766);
    CHECK(entsso_number_of(-1073731058) == 10766);   // 0xC0002A0E as a signed 32-bit HRESULT
    CHECK(entsso_number_of(0xC0002A0ELL) == 10766);  // the same, unsigned
    CHECK_FALSE(entsso_number_of(-2147024891).has_value());  // 0x80070005: access denied
    CHECK_FALSE(entsso_number_of(0).has_value());
    CHECK_FALSE(entsso_number_of(0xC0000000LL).has_value());
    CHECK_FALSE(entsso_number_of(1LL << 40).has_value());

    const ssoescrow::Error not_master = reported_entsso_error(-1073731058, "", "SSOVNN");
    CHECK(not_master.code == ssoescrow::Errc::entsso_error);
    CHECK(not_master.message.rfind("ENTSSO error 10766 (HRESULT 0xC0002A0E): ", 0) == 0);
    CHECK(not_master.hint.find("SSOVNN") != std::string::npos);
    const ssoescrow::Error denied = reported_entsso_error(-2147024891, "", "");
    CHECK(denied.code == ssoescrow::Errc::entsso_error);
    CHECK(denied.message.find("HRESULT 0x80070005") != std::string::npos);
    CHECK(reported_entsso_error(1LL << 40, "", "").code == ssoescrow::Errc::bridge_failed);
    CHECK(reported_entsso_error(10779, "", "").message.rfind("ENTSSO error 10779: ", 0) == 0);
}
