// The client side of the SSO bridge protocol `ssoescrow-bridge/1` (README "The SSO bridge").
//
// ssoescrow runs the bridge command given with --bridge (argv split without a shell, see
// platform/command_line.hpp), appends the operation name, writes ONE JSON request to its stdin and
// reads ONE JSON response from its stdout. Passwords travel only in that request. Exit status 0
// means the response is valid JSON (which may report an ENTSSO error); anything else -- non-zero
// exit, a signal, a timeout, more output than allowed, unparsable or off-protocol JSON -- is
// Errc::bridge_failed. An ENTSSO error is Errc::entsso_error with a message that says what to do.
//
// Bridge text and the password: a call that sends a password builds its error messages from the
// ENTSSO code alone (the bridge's `message` is not shown), shows the bridge's stderr tail only
// when no encoding of the password is in it (reveals_secret), and wipes what the bridge printed
// (stdout, stderr, the parsed answer) on every path.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crypto/result.hpp"
#include "crypto/secret_bytes.hpp"
#include "platform/child_process.hpp"

namespace ssoescrow::bridge {

using platform::ChildLimits;
using platform::ChildOutcome;

inline constexpr std::string_view k_protocol = "ssoescrow-bridge/1";

struct ClusterInfo {
    std::string name;
    std::string node;
    std::string group;
    std::string owner_node;
    std::vector<std::string> possible_owners;
    std::string resource_state;  // online, offline, failed, pending or unknown (lower-cased)
};

struct ServerStatus {
    std::string computer;
    std::string secret_server;
    bool is_secret_server = false;
    std::optional<std::string> current_msid;
    std::optional<std::string> previous_msid;
    std::string service_state;  // "running" or "stopped"
    std::optional<ClusterInfo> cluster;
};

struct Msids {
    std::string current_msid;
    std::optional<std::string> previous_msid;
};

// ENTSSO error codes the bridge reports (ENTSSO's own numbers).
enum EntssoCode : int {
    k_entsso_bad_file_format = 10564,
    k_entsso_not_secret_server = 10766,
    k_entsso_wrong_password = 10779,
    k_entsso_cannot_open_file = 10784,
    k_entsso_wrong_secret = 10815,
    k_entsso_password_too_short = 10836,
    k_entsso_password_too_long = 10839,
    k_entsso_reminder_too_long = 10840,
};

// The Error for an ENTSSO code: what happened and what the operator should do.
// `secret_server` (may be empty) is named in the 10766 hint.
Error entsso_error(int code, std::string_view bridge_message, std::string_view secret_server);

// The ENTSSO number in a code a bridge reported. The protocol's codes are ENTSSO's own numbers
// (10766), but a bridge that passes on the COM HRESULT reports it as a signed 32-bit value
// (-1073731058) or its unsigned form (3221236238): ENTSSO's HRESULTs are 0xC000xxxx with the
// number in the low 16 bits. Any other HRESULT (0x80070005, access denied) has no ENTSSO number.
std::optional<int> entsso_number_of(std::int64_t reported) noexcept;

// entsso_error() for a code as the bridge reported it, naming the HRESULT when it was one.
Error reported_entsso_error(std::int64_t reported, std::string_view bridge_message,
                            std::string_view secret_server);

// A GUID as ENTSSO prints MSIDs: 8-4-4-4-12 hex digits, optionally in braces.
bool is_msid(std::string_view text);

// One bridge call as seen from outside, recorded for `ssoescrow bridge check` when a trace is
// attached (BridgeClient::set_trace): how the bridge ended, the ENTSSO code of an error answer,
// and whether the password the request carried showed up, in any encoding reveals_secret knows,
// on the bridge's stderr or stdout. Holds no bridge text and no secret.
struct CallTrace {
    std::string operation;
    ChildOutcome::Ending ending = ChildOutcome::Ending::exited;
    int exit_status = 0;
    std::chrono::milliseconds elapsed{0};
    bool started = false;  // false: the program could not be started
    bool carried_password = false;
    bool password_on_stderr = false;
    bool password_on_stdout = false;
    std::optional<int> entsso_code;  // an "ok": false answer's code
    bool entsso_message = false;     // ... and it had a string "message"
};

class BridgeClient {
  public:
    BridgeClient(std::vector<std::string> argv, ChildLimits limits);
    // Splits `command` (from --bridge) into argv; Errc::usage when it cannot.
    static Result<BridgeClient> from_command_line(std::string_view command,
                                                  std::chrono::milliseconds timeout);

    Result<ServerStatus> status() const;
    Result<Msids> backup(const std::filesystem::path& file, const crypto::SecretBytes& password,
                         std::string_view reminder) const;
    Result<Msids> generate(const std::filesystem::path& file, const crypto::SecretBytes& password,
                           std::string_view reminder) const;
    Result<Msids> restore(const std::filesystem::path& file,
                          const crypto::SecretBytes& password) const;
    Result<std::string> reminder(const std::filesystem::path& file) const;

    // Sends `request_text` as it is (not built by build_request: a malformed request, another
    // protocol version) and judges the answer like every other call; for `bridge check`. The
    // text must hold no secret.
    Status probe(std::string_view operation, std::string_view request_text) const;

    // Every later call appends its CallTrace to `trace` (nullptr: none); the vector must outlive
    // the calls.
    void set_trace(std::vector<CallTrace>* trace) { m_trace = trace; }

    const std::vector<std::string>& argv() const { return m_argv; }
    const ChildLimits& limits() const { return m_limits; }

  private:
    struct Response;
    Result<Response> call(std::string_view operation, const crypto::SecretBytes& request,
                          const crypto::SecretBytes* password) const;
    Result<Msids> msid_call(std::string_view operation, const crypto::SecretBytes& request,
                            const crypto::SecretBytes& password) const;

    std::vector<std::string> m_argv;
    ChildLimits m_limits;
    std::vector<CallTrace>* m_trace = nullptr;
};

// The judgement of a bridge's stdout, as BridgeClient applies it after the bridge exited 0
// (exposed for tests and the fuzz target): Errc::bridge_failed for anything off-protocol,
// Errc::entsso_error for an ENTSSO error answer.
Result<ServerStatus> parse_status_answer(std::string_view text);
Result<Msids> parse_msid_answer(std::string_view operation, std::string_view text);

// Whether `text` (the bridge's stderr, or anything else it wrote) holds `secret` in an encoding a
// tool might use: the bytes, hex in any case, base64 (standard or URL-safe, at any alignment),
// UTF-16LE/BE; also a piece of at least 8 bytes of one at the start or end of `text` (a tail
// cut in the middle). Such text is never shown: errors then say only that it was withheld.
bool reveals_secret(std::string_view text, const crypto::SecretBytes& secret);

// Builds a request object into a SecretBytes: the non-secret string fields, then the password
// (JSON-escaped) when given. Exposed for tests.
Result<crypto::SecretBytes> build_request(
    const std::vector<std::pair<std::string, std::string>>& fields,
    const crypto::SecretBytes* password);

}  // namespace ssoescrow::bridge
