#include "onnx_runtime/providers/cpu/passes/graph_index.h"

#include <algorithm>

namespace bog::runtime::cpu {
namespace {

// Names a subgraph reads from its enclosing scope count as uses of the outer value.
void collect_subgraph_reads(const Graph& g, std::vector<std::string>& out) {
  for (const Node& n : g.nodes) {
    for (const std::string& in : n.inputs) out.push_back(in);
    for (const Attribute& a : n.attributes) {
      if (a.g) collect_subgraph_reads(*a.g, out);
      for (const auto& sg : a.graphs) collect_subgraph_reads(*sg, out);
    }
  }
}

}  // namespace

GraphIndex::GraphIndex(const Graph& graph, std::string provider) : provider_(std::move(provider)) {
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    for (const std::string& out : n.outputs) {
      if (!out.empty()) producer_[out] = i;
    }
    for (const std::string& in : n.inputs) {
      if (!in.empty()) consumers_[in].push_back(i);
    }
    std::vector<std::string> inner;
    for (const Attribute& a : n.attributes) {
      if (a.g) collect_subgraph_reads(*a.g, inner);
      for (const auto& sg : a.graphs) collect_subgraph_reads(*sg, inner);
    }
    for (const std::string& in : inner) {
      if (!in.empty()) consumers_[in].push_back(i);
    }
  }
  for (const ValueInfo& v : graph.outputs) outputs_.push_back(v.name);
}

std::optional<size_t> GraphIndex::producer(const std::string& value) const {
  const auto it = producer_.find(value);
  if (it == producer_.end()) return std::nullopt;
  return it->second;
}

const std::vector<size_t>& GraphIndex::consumers(const std::string& value) const {
  static const std::vector<size_t> kNone;
  const auto it = consumers_.find(value);
  return it == consumers_.end() ? kNone : it->second;
}

bool GraphIndex::is_graph_output(const std::string& value) const {
  return std::find(outputs_.begin(), outputs_.end(), value) != outputs_.end();
}

bool GraphIndex::single_use(const std::string& value) const {
  return consumers(value).size() == 1 && !is_graph_output(value);
}

std::optional<double> scalar_initializer(const Graph& graph, const std::string& name) {
  const auto it = graph.initializers.find(name);
  if (it == graph.initializers.end() || it->second.numel() != 1) return std::nullopt;
  if (it->second.dtype() == DType::kFloat32) return it->second.data<float>()[0];
  if (it->second.dtype() == DType::kFloat64) return it->second.data<double>()[0];
  return std::nullopt;
}

std::optional<std::vector<int64_t>> reduce_axes(const Graph& graph, const Node& node) {
  if (node.opset < 18) {
    if (!node.has_attr("axes")) return std::nullopt;
    return node.attr_ints("axes");
  }
  if (node.inputs.size() < 2 || node.inputs[1].empty()) return std::nullopt;
  const auto it = graph.initializers.find(node.inputs[1]);
  if (it == graph.initializers.end() || it->second.dtype() != DType::kInt64) return std::nullopt;
  const auto s = it->second.span<int64_t>();
  return std::vector<int64_t>(s.begin(), s.end());
}

}  // namespace bog::runtime::cpu
