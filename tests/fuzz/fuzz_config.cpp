// libFuzzer target: the vault config parser (vault/FORMAT.md 4.2) and the text building blocks.
//
// Properties checked on every input:
// - parsing never crashes, hangs or allocates beyond the ceiling (ASan/UBSan, -rss_limit_mb);
// - canonical encoding: whatever parse_config accepts serialises back to exactly the input;
// - an accepted config validates.
// Seeds: tests/fuzz/corpus/fuzz_config/ (configs written by `vault init`).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/random.hpp"
#include "vault/config.hpp"
#include "vault/text_format.hpp"

using namespace ssoescrow;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool initialised = crypto::initialize().ok();
    if (!initialised)
        std::abort();
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    auto config = vault::parse_config(text, "fuzz");
    if (config.ok()) {
        if (!config->validate().ok())
            std::abort();
        if (config->serialise() != text)
            std::abort();
    }
    // The value parsers on their own, with the same canonical property.
    if (size <= 64) {
        if (auto time = vault::parse_time(text, "t"); time.ok()) {
            if (vault::format_time(*time) != text)
                std::abort();
        }
        if (auto duration = vault::parse_duration(text, "d"); duration.ok()) {
            if (vault::format_duration(*duration) != text)
                std::abort();
        }
        (void)vault::parse_duration_flag(text, "d");
        (void)vault::check_text(text, "t");
    }
    return 0;
}
