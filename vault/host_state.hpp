// What a host remembers about a vault, outside the vault, in its state directory
// <state root>/<vault id>/ (FORMAT.md 4.3):
//   latest-seen   the newest audit record this host has seen (audit_log.hpp: SeenState), the
//                 rollback witness every writer and `vault check` compare the log with;
//   policy-pin    the escrow policy fingerprint this host backs up to, learned on first use by
//                 `backup`, `rotate` and `import` without --expect-policy (or set by
//                 --expect-policy), so that a policy swapped in later is refused.
// Both are replaced durably (write_file_durably, Overwrite::yes), 0600 in a 0700 directory.
//
// policy-pin (at most 4096 bytes, canonical form only):
//   ssoescrow-policy-pin/1
//   vault: <vault id, 32 hex>
//   policy: sha256:<64 hex>
//   time: <YYYY-MM-DDTHH:MM:SSZ>      when it was pinned
//   by: first-use | expect-policy | vault-init
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "vault/text_format.hpp"

namespace ssoescrow::vault {

inline constexpr std::string_view k_policy_pin_file = "policy-pin";
inline constexpr std::size_t k_max_state_file_size = 4096;

// The state directory of `vault_id`: `state_root`/<vault id>, or under the default state root
// (platform::default_state_root) when `state_root` is empty. Errc::not_found with a hint to pass
// --state-dir when no default exists (no HOME, no XDG_STATE_HOME).
Result<std::filesystem::path> state_dir_for(const std::filesystem::path& state_root,
                                            std::string_view vault_id);

// How a pin came to be: learned by a job without --expect-policy, given with --expect-policy,
// or written by `vault init` on the host that created the vault.
enum class PinSource { first_use, expect_policy, vault_init };
std::string_view pin_source_name(PinSource source) noexcept;

struct PolicyPin {
    std::string vault_id;  // 32 hex
    std::string policy;    // sha256:<64 hex>
    UnixTime time = 0;
    PinSource source = PinSource::first_use;
};

std::string serialise_policy_pin(const PolicyPin& pin);
// Errc::parse / unsupported_version / limit_exceeded naming `source`.
Result<PolicyPin> parse_policy_pin(std::string_view text, std::string_view source);
// std::nullopt when this host has no pin for the vault yet.
Result<std::optional<PolicyPin>> read_policy_pin(const std::filesystem::path& state_dir);
// Creates the state directory (0700, parents included) when needed and replaces the pin durably.
[[nodiscard]] Status write_policy_pin(const std::filesystem::path& state_dir, const PolicyPin& pin);

// Creates `state_dir` (0700) and its parents when missing; refuses a symbolic link.
[[nodiscard]] Status ensure_state_dir(const std::filesystem::path& state_dir);

}  // namespace ssoescrow::vault
