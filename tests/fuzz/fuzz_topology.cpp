// libFuzzer target: the topology inventory parser and the rules on whatever it accepts. Must never
// crash, hang or trip ASan/UBSan; every input either parses (and then the rules and both report
// formats run) or yields an error whose message is printable ASCII.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "src/topology/inventory.hpp"
#include "src/topology/report_format.hpp"
#include "src/topology/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace ssoescrow::topology;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto inventory = parse_inventory(text);
    if (!inventory) {
        for (const char c : inventory.error().message) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte >= 0x7f)
                std::abort();  // raw input echoed into a message
        }
        return 0;
    }
    const Report report = check_topology(*inventory);
    if (report.results.size() != all_rules().size())
        std::abort();
    const std::string json = format_report_json(*inventory, report);
    const std::string plain = format_report_text(*inventory, report);
    if (json.empty() || plain.empty())
        std::abort();
    return 0;
}
