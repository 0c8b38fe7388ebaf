// Rendering a topology report (rules.hpp) for people and for programs.
//
// Text: the first line is the monitoring summary ("TOPOLOGY CRITICAL - ..."), then the inventory
// it was computed from, then every failed rule with its findings (problem, evidence, fix,
// checklist row), then the rules that passed and those that did not apply, with a note each.
//
// JSON, schema "ssoescrow-topology-report/1" (keys always present, in this order; arrays may be
// empty; adding keys is a compatible change, removing or renaming one bumps the version):
//   { "schema": "ssoescrow-topology-report/1",
//     "status": "ok" | "warning" | "critical",
//     "exit_code": 0 | 1 | 2,
//     "summary": { "critical": N, "warning": N, "rules_ok": N, "rules_failed": N,
//                  "rules_not_applicable": N },
//     "inventory": { "schema": "ssoescrow-topology/1", "collected_at": "...",
//                    "cluster": "NAME" | null, "biztalk_group": "...",
//                    "sso_secret_server": "..." },
//     "rules": [ { "id": "TOPO-...", "title": "...",
//                  "status": "ok" | "warning" | "critical" | "not_applicable",
//                  "severity": "warning" | "critical",      (of its findings)
//                  "note": "...",                           ("" when it has findings)
//                  "checklist": { "row": N, "step": "..." },
//                  "findings": [ { "severity": "...", "message": "...",
//                                  "evidence": { "nodes": [], "groups": [], "resources": [],
//                                                "hosts": [],
//                                                "host_instances": [ { "host": "", "server": "" }
//                                                ], "servers": [], "sql_instances": [], "facts": []
//                                                },
//                                  "fix": "..." } ] } ] }
#pragma once

#include <string>

#include "src/topology/inventory.hpp"
#include "src/topology/rules.hpp"

namespace ssoescrow::topology {

inline constexpr std::string_view k_report_schema = "ssoescrow-topology-report/1";

std::string format_report_text(const Inventory& inventory, const Report& report);

// Pretty-printed (2-space indent), newline-terminated, stable key order.
std::string format_report_json(const Inventory& inventory, const Report& report);

}  // namespace ssoescrow::topology
