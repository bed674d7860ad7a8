// `bog inspect --provider P MODEL`: the graph a provider actually runs. Builds a session (its
// passes rewrite the graph), runs it once on generated feeds (batch 1, --seq tokens) so the
// memory plan exists, and reports which passes fired, the node counts before and after, the
// plan's peak bytes and the op types of the optimized graph.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace bog::bench {

struct OptimizedGraphRequest {
  std::filesystem::path model;
  std::string provider = "cpu";
  int seq = 128;         // sequence length of the one planning run (batch 1)
  bool optimize = true;  // false: --no-optimize, the provider passes are off
  int threads = 1;
};

// {"provider", "providers_used", "optimize", "nodes_before", "nodes_after",
//  "passes": [{"provider", "pass", "rewrites"}], "fusions_fired", "planned_peak_bytes",
//  "batch_split", "batch_split_reason",
//  "planning_run": {"batch", "seq", "ok", "error"?}, "op_types": {op: count}}
// Error when the model cannot be loaded or placed; a failed planning run is reported in
// "planning_run" (the pass figures are still valid).
[[nodiscard]] nlohmann::json optimized_graph_report(const OptimizedGraphRequest& request);

}  // namespace bog::bench
