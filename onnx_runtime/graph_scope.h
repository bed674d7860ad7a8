// Scope helpers for nested graphs: which names a subgraph reads from the graphs around it.
// The loader uses them to order nodes, the session to keep outer values alive for subgraphs.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"

namespace bog::runtime {

// Names `graph` (and its nested subgraphs) read but do not define themselves.
std::set<std::string> outer_scope_names(const Graph& graph);

// The outer-scope names read by the subgraphs in `node`'s attributes (its implicit inputs).
std::vector<std::string> implicit_inputs(const Node& node);

// "name" when the node has one, else "<op_type>#<index>".
std::string node_label(const Node& node, size_t index);

}  // namespace bog::runtime
