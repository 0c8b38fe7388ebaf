// Shared pieces of the machine output (`--json`, `status --format json`): one spelling for what
// every document says the same way.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace ssoescrow {

// An MSID as JSON: null when absent, whether the record holds nothing or the placeholder
// "unknown" an import without MSIDs records (src/backup/backup_job.hpp).
inline nlohmann::ordered_json msid_or_null(std::string_view msid) {
    if (msid.empty() || msid == "unknown")
        return nullptr;
    return std::string(msid);
}

}  // namespace ssoescrow
