// What a loaded model declares, for `bog inspect`: inputs and outputs with their types, opsets,
// op types counted over every subgraph, parameters and metadata; and a Graphviz drawing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "onnx_runtime/graph.h"

namespace bog::conformance {

// {"model": label, "ir_version", "producer": {"name","version"}, "graph_name", "opsets",
//  "inputs"/"outputs": [{"name","type"}] (inputs without initializers), "nodes", "subgraphs",
//  "op_types": {op: count} ("domain:Op" outside the default domain), "initializers",
//  "parameters", "parameter_bytes", "metadata_props"}
[[nodiscard]] nlohmann::json model_summary_json(const runtime::Model& model,
                                                const std::string& label);

// Graph inputs and outputs as ellipses, nodes as boxes, one edge per value (initializers left
// out), as a Graphviz digraph.
[[nodiscard]] std::string model_to_dot(const runtime::Model& model);

}  // namespace bog::conformance
