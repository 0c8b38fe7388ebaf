// libFuzzer target: the audit record parser, record file names, the latest-seen state, the audit
// head and the verified head cache (verified-head, verified-backups) (vault/FORMAT.md 4.3).
//
// Properties checked on every input:
// - parsing never crashes, hangs or allocates beyond the ceilings (ASan/UBSan, -rss_limit_mb);
// - canonical encoding: whatever is accepted serialises back to exactly the input;
// - an accepted record validates against its type's schema.
// Seeds: tests/fuzz/corpus/fuzz_audit/ (records written by `vault init` and `vault prune`, a
// latest-seen state file, an audit head, a verified-head and a verified-backups file).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/random.hpp"
#include "vault/audit_log.hpp"
#include "vault/head_cache.hpp"

using namespace ssoescrow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool initialised = crypto::initialize().ok();
    if (!initialised)
        std::abort();
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    auto record = vault::parse_audit_record(text, "fuzz");
    if (record.ok()) {
        if (!record->validate().ok())
            std::abort();
        if (record->serialise() != text)
            std::abort();
    }
    auto seen = vault::parse_seen_state(text, "fuzz");
    if (seen.ok() && vault::serialise_seen_state(*seen) != text)
        std::abort();
    auto head = vault::parse_audit_head(text, "fuzz");
    if (head.ok() && vault::serialise_audit_head(*head) != text)
        std::abort();
    auto cache = vault::parse_head_cache(text, "fuzz");
    if (cache.ok() && vault::serialise_head_cache(*cache) != text)
        std::abort();
    // verified-backups: as the input describes itself, then with its first line dropped from
    // the description (a prefix that is not what the head says must be refused or re-checked).
    const vault::CachedBackupsFile described = vault::describe_cached_backups(text);
    auto backups = vault::parse_cached_backups(text, described, UINT64_MAX, "fuzz");
    if (backups.ok() && vault::serialise_cached_backups(*backups) != text)
        std::abort();
    if (auto name = vault::parse_audit_file_name(text); name.has_value()) {
        if (vault::audit_file_name(name->seq, name->hash) != text)
            std::abort();
    }
    return 0;
}
