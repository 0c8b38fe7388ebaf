#include "vault/custodians.hpp"

#include <algorithm>

#include "vault/text_format.hpp"

namespace ssoescrow::vault {

const CustodianHistory* CustodianRoster::find(std::string_view fingerprint) const {
    const auto it = custodians.find(fingerprint);
    return it == custodians.end() ? nullptr : &it->second;
}

bool CustodianRoster::is_departed(std::string_view fingerprint) const {
    const CustodianHistory* history = find(fingerprint);
    return history != nullptr && history->departed.has_value();
}

std::size_t CustodianRoster::count_present(const std::vector<std::string>& fingerprints) const {
    return static_cast<std::size_t>(
        std::count_if(fingerprints.begin(), fingerprints.end(),
                      [this](const std::string& fp) { return !is_departed(fp); }));
}

CustodianRoster custodian_roster(const std::vector<ChainRecord>& records) {
    CustodianRoster roster;
    auto history_of = [&roster](const std::string& fingerprint) -> CustodianHistory& {
        CustodianHistory& history = roster.custodians[fingerprint];
        history.fingerprint = fingerprint;
        return history;
    };
    for (const ChainRecord& entry : records) {
        const AuditRecord& record = entry.record;
        switch (record.type) {
            case AuditType::vault_init:
            case AuditType::policy_change: {
                PolicyMembers members;
                auto threshold = parse_integer(record.field("threshold"), "threshold");
                members.threshold =
                    threshold && *threshold <= 255 ? static_cast<unsigned>(*threshold) : 0;
                members.custodians = record.fields_named("custodian");
                for (const std::string& fp : members.custodians) {
                    CustodianHistory& history = history_of(fp);
                    if (!history.in_policy_since)
                        history.in_policy_since = record.time;
                }
                roster.policies[std::string(record.field("policy"))] = std::move(members);
                break;
            }
            case AuditType::custodian_departed: {
                CustodianHistory& history = history_of(std::string(record.field("custodian")));
                if (!history.departed) {
                    history.departed = Departure{record.time, std::string(record.field("reason")),
                                                 record.actor, record.seq};
                }
                break;
            }
            case AuditType::custodian_reinstated:
                history_of(std::string(record.field("custodian"))).departed.reset();
                break;
            default:
                break;
        }
    }
    return roster;
}

}  // namespace ssoescrow::vault
