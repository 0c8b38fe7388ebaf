// libFuzzer target for the judgement of a bridge's answer (src/bridge/bridge_client.hpp): the
// bridge is a separate program whose stdout ssoescrow must never trust. Never crashes; every
// accepted status has the fields the protocol requires, and accepted MSIDs are GUIDs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "src/bridge/bridge_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    using namespace ssoescrow::bridge;
    if (auto status = parse_status_answer(text); status.ok()) {
        if (status->service_state != "running" && status->service_state != "stopped")
            std::abort();
        if (status->current_msid && !is_msid(*status->current_msid))
            std::abort();
    }
    for (std::string_view operation : {"backup", "restore", "generate"}) {
        if (auto msids = parse_msid_answer(operation, text); msids.ok()) {
            if (!is_msid(msids->current_msid))
                std::abort();
            if (msids->previous_msid && !is_msid(*msids->previous_msid))
                std::abort();
        }
    }
    return 0;
}
