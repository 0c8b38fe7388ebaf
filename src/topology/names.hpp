// How names from a Windows inventory are compared.
//
// Windows compares computer, cluster, group, resource, service and BizTalk host names without
// regard to case. We fold ASCII letters only (A-Z to a-z): NetBIOS and DNS host names, cluster
// object names and BizTalk host names are ASCII in practice, and folding other scripts would need
// the exact Windows upper-case table, which no portable library reproduces. Non-ASCII bytes
// therefore compare exactly.
//
// Machine names (cluster nodes, network names, the SSO secret server, BizTalk and SQL servers) may
// appear as a short name in one source and as a DNS name in another (ssomanage accepts either):
// same_machine() also treats "BTS01" and "bts01.contoso.com" as the same machine. Two fully
// qualified names must match entirely.
#pragma once

#include <string>
#include <string_view>

namespace ssoescrow::topology {

// ASCII-lower-cased copy, for use as a map key.
std::string fold_name(std::string_view name);

// Case-insensitive (ASCII) equality of two object names.
bool same_name(std::string_view a, std::string_view b) noexcept;

// same_name(), or one is a short name equal to the first DNS label of the other.
bool same_machine(std::string_view a, std::string_view b) noexcept;

}  // namespace ssoescrow::topology
