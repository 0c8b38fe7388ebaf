#include "vault/host_state.hpp"

#include <system_error>

#include "crypto/bytes.hpp"
#include "platform/directories.hpp"
#include "platform/file_io.hpp"
#include "platform/path_text.hpp"
#include "vault/policy.hpp"

namespace ssoescrow::vault {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_pin_magic = "ssoescrow-policy-pin/1";
constexpr std::string_view k_pin_magic_prefix = "ssoescrow-policy-pin/";

std::optional<PinSource> pin_source_from_name(std::string_view name) {
    for (PinSource s : {PinSource::first_use, PinSource::expect_policy, PinSource::vault_init}) {
        if (pin_source_name(s) == name)
            return s;
    }
    return std::nullopt;
}

}  // namespace

Result<fs::path> state_dir_for(const fs::path& state_root, std::string_view vault_id) {
    if (!state_root.empty())
        return state_root / platform::path_from_utf8(vault_id);
    TRY_ASSIGN(const fs::path root, platform::default_state_root());
    return root / platform::path_from_utf8(vault_id);
}

std::string_view pin_source_name(PinSource source) noexcept {
    switch (source) {
        case PinSource::first_use:
            return "first-use";
        case PinSource::expect_policy:
            return "expect-policy";
        case PinSource::vault_init:
            return "vault-init";
    }
    return "first-use";
}

std::string serialise_policy_pin(const PolicyPin& pin) {
    std::string out(k_pin_magic);
    out += "\nvault: " + pin.vault_id + "\n";
    out += "policy: " + pin.policy + "\n";
    out += "time: " + format_time(pin.time) + "\n";
    out += "by: " + std::string(pin_source_name(pin.source)) + "\n";
    return out;
}

Result<PolicyPin> parse_policy_pin(std::string_view text, std::string_view source) {
    const std::string what = "policy pin " + std::string(source);
    if (text.size() > k_max_state_file_size)
        return make_error(Errc::limit_exceeded, what + " is too large");
    TRY_ASSIGN(const auto lines, split_lines(text, 8, what));
    if (lines[0].substr(0, k_pin_magic_prefix.size()) == k_pin_magic_prefix &&
        lines[0] != k_pin_magic) {
        return make_error(Errc::unsupported_version,
                          what + ": unsupported version " +
                              std::string(lines[0].substr(k_pin_magic_prefix.size())));
    }
    if (lines.size() != 5 || lines[0] != k_pin_magic)
        return make_error(Errc::parse, what + " is malformed");
    PolicyPin pin;
    TRY_ASSIGN(const std::string_view vault, expect_field(lines[1], "vault", what));
    TRY(check_hex(vault, 16, what + ": vault"));
    pin.vault_id = std::string(vault);
    TRY_ASSIGN(const std::string_view policy, expect_field(lines[2], "policy", what));
    if (policy.substr(0, k_policy_fingerprint_prefix.size()) != k_policy_fingerprint_prefix)
        return make_error(Errc::parse, what + ": policy: expected sha256:<64 hex>");
    TRY(check_hex(policy.substr(k_policy_fingerprint_prefix.size()), 32, what + ": policy"));
    pin.policy = std::string(policy);
    TRY_ASSIGN(const std::string_view time, expect_field(lines[3], "time", what));
    TRY_ASSIGN(pin.time, parse_time(time, what + ": time"));
    TRY_ASSIGN(const std::string_view by, expect_field(lines[4], "by", what));
    const auto source_kind = pin_source_from_name(by);
    if (!source_kind)
        return make_error(Errc::parse,
                          what + ": by: expected first-use, expect-policy or vault-init");
    pin.source = *source_kind;
    if (serialise_policy_pin(pin) != text)
        return make_error(Errc::parse, what + " is not in canonical form");
    return pin;
}

Result<std::optional<PolicyPin>> read_policy_pin(const fs::path& state_dir) {
    return read_optional_text_file(state_dir / k_policy_pin_file, k_max_state_file_size,
                                   &parse_policy_pin);
}

Status ensure_state_dir(const fs::path& state_dir) {
    std::error_code ec;
    const auto status = fs::symlink_status(state_dir, ec);
    if (fs::is_directory(status))
        return {};
    if (state_dir.has_parent_path()) {
        fs::create_directories(state_dir.parent_path(), ec);
        if (ec)
            return platform::file_error(ec, "create", state_dir.parent_path());
    }
    return platform::ensure_private_directory(state_dir);
}

Status write_policy_pin(const fs::path& state_dir, const PolicyPin& pin) {
    TRY(ensure_state_dir(state_dir));
    const std::string text = serialise_policy_pin(pin);
    return platform::write_file_durably(state_dir / k_policy_pin_file, as_bytes(text),
                                        platform::Overwrite::yes, platform::FinalMode::read_write);
}

}  // namespace ssoescrow::vault
