#include "onnx_runtime/graph_scope.h"

#include <fmt/format.h>

namespace bog::runtime {

std::set<std::string> outer_scope_names(const Graph& graph) {
  std::set<std::string> defined;
  for (const ValueInfo& v : graph.inputs) defined.insert(v.name);
  for (const auto& [name, tensor] : graph.initializers) defined.insert(name);
  for (const Node& n : graph.nodes) {
    for (const std::string& o : n.outputs) {
      if (!o.empty()) defined.insert(o);
    }
  }
  std::set<std::string> free;
  auto use = [&](const std::string& name) {
    if (!name.empty() && !defined.count(name)) free.insert(name);
  };
  for (const Node& n : graph.nodes) {
    for (const std::string& i : n.inputs) use(i);
    for (const std::string& i : implicit_inputs(n)) use(i);
  }
  for (const ValueInfo& v : graph.outputs) use(v.name);
  return free;
}

std::vector<std::string> implicit_inputs(const Node& node) {
  std::set<std::string> names;
  for (const Attribute& a : node.attributes) {
    if (a.g) {
      const std::set<std::string> inner = outer_scope_names(*a.g);
      names.insert(inner.begin(), inner.end());
    }
    for (const auto& g : a.graphs) {
      if (!g) continue;
      const std::set<std::string> inner = outer_scope_names(*g);
      names.insert(inner.begin(), inner.end());
    }
  }
  return {names.begin(), names.end()};
}

std::string node_label(const Node& node, size_t index) {
  return node.name.empty() ? fmt::format("{}#{}", node.op_type, index) : node.name;
}

}  // namespace bog::runtime
