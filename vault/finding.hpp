// A problem found while reading or checking a vault, named by file. `vault check` prints them and
// derives its exit code from the worst severity (0 clean or only notes, 1 warnings, 2 damaged).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ssoescrow::vault {

enum class Severity {
    info,     // worth knowing, not a problem (a writer at work): it does not change the exit code
    warning,  // the vault is usable and nothing is lost, but something needs attention
    damaged,  // something recorded is missing, altered or unreadable
};

std::string_view severity_name(Severity severity) noexcept;

struct Finding {
    Severity severity = Severity::warning;
    std::string code;     // stable identifier, e.g. "envelope-truncated" (listed in FORMAT.md 4.8)
    std::string file;     // path relative to the vault directory ("" for the vault as a whole)
    std::string message;  // lower-case, names what is wrong and what to do

    friend bool operator==(const Finding&, const Finding&) = default;
};

using Findings = std::vector<Finding>;

bool has_damage(const Findings& findings) noexcept;
// A warning or damage: something that needs attention (an info finding does not).
bool has_problem(const Findings& findings) noexcept;

}  // namespace ssoescrow::vault
