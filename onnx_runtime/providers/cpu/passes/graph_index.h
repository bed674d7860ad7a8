// Who produces and who consumes each value, for the local rewrites of one provider's nodes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"

namespace bog::runtime::cpu {

class GraphIndex {
 public:
  // `provider`: the provider whose nodes the pass may rewrite (cpu, or cuda running the same
  // passes); the fused nodes it makes go to that provider.
  GraphIndex(const Graph& graph, std::string provider);
  const std::string& provider() const { return provider_; }
  bool owns(const Node& n) const { return n.provider == provider_; }
  // Index of the node producing `value`, or nullopt for inputs/initializers/unknown.
  std::optional<size_t> producer(const std::string& value) const;
  // Nodes reading `value` (a node reading it twice appears twice). Subgraph reads count too.
  const std::vector<size_t>& consumers(const std::string& value) const;
  bool is_graph_output(const std::string& value) const;
  // Exactly one reader and not a graph output: safe to fold into a fused node.
  bool single_use(const std::string& value) const;

 private:
  std::map<std::string, size_t> producer_;
  std::map<std::string, std::vector<size_t>> consumers_;
  std::vector<std::string> outputs_;
  std::string provider_;
};

// The value of a one-element float32/float64 initializer, if `name` is one.
std::optional<double> scalar_initializer(const Graph& graph, const std::string& name);

// Reduction axes of a ReduceMean node, from its attribute (opset < 18) or constant input.
std::optional<std::vector<int64_t>> reduce_axes(const Graph& graph, const Node& node);

}  // namespace bog::runtime::cpu
