// Placement: every node, subgraphs included, goes to the first requested provider that is
// available and claims it (ONNX Runtime's graph partitioner, in small). The report names, for
// every node, the provider that runs it and why each provider before it passed.
#pragma once

#include <string>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/placement_report.h"
#include "onnx_runtime/session/kernel_call.h"

namespace bog::runtime::session {

// Sets node.provider on every node of `graph`. A node no provider claims is kUnsupported;
// with `strict`, any fallback is kProviderUnavailable. `report` (optional) gets one entry per
// node, subgraph nodes named "outer/inner".
void place_graph(Graph& graph, const Providers& providers, bool strict, PlacementReport* report);

// The provider a placed node names.
const ExecutionProvider& provider_named(const Providers& providers, const std::string& name);

}  // namespace bog::runtime::session
