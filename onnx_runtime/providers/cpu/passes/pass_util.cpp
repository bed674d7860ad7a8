#include "onnx_runtime/providers/cpu/passes/pass_util.h"

#include <algorithm>
#include <cmath>

#include "onnx_runtime/providers/cpu/cpu_provider.h"

namespace bog::runtime::cpu {

bool near(std::optional<double> v, double want, double tol) {
  return v && std::fabs(*v - want) <= tol * std::max(1.0, std::fabs(want));
}

const Node* producer_of(const Graph& g, const GraphIndex& idx, const std::string& value,
                        const char* op_type, size_t* index) {
  const auto p = idx.producer(value);
  if (!p) return nullptr;
  const Node& n = g.nodes[*p];
  if (n.op_type != op_type || !n.domain.empty() || !idx.owns(n)) return nullptr;
  if (index) *index = *p;
  return &n;
}

const Node* single_use_producer(const Graph& g, const GraphIndex& idx, const std::string& value,
                                const char* op_type, size_t* index) {
  if (!idx.single_use(value)) return nullptr;
  return producer_of(g, idx, value, op_type, index);
}

const Node* sole_consumer(const Graph& g, const GraphIndex& idx, const std::string& value,
                          const char* op_type, size_t* index) {
  if (!idx.single_use(value)) return nullptr;
  const size_t c = idx.consumers(value)[0];
  const Node& n = g.nodes[c];
  if (n.op_type != op_type || !n.domain.empty() || !idx.owns(n)) return nullptr;
  *index = c;
  return &n;
}

std::string other_input(const Node& n, const std::string& known) {
  if (n.inputs.size() != 2) return "";
  if (n.inputs[0] == known) return n.inputs[1];
  if (n.inputs[1] == known) return n.inputs[0];
  return "";
}

std::optional<std::vector<int64_t>> int_initializer(const Graph& g, const std::string& name) {
  const auto it = g.initializers.find(name);
  if (it == g.initializers.end() || it->second.dtype() != DType::kInt64) return std::nullopt;
  const auto s = it->second.span<int64_t>();
  return std::vector<int64_t>(s.begin(), s.end());
}

std::vector<int64_t> transpose_perm(const Node& n) { return n.attr_ints("perm"); }

Node fused_node(std::string op_type, const Node& last, std::vector<std::string> inputs) {
  Node n;
  n.op_type = std::move(op_type);
  n.domain = kCpuFusedDomain;
  n.opset = 1;
  n.name = last.name.empty() ? n.op_type : last.name + "/" + n.op_type;
  n.inputs = std::move(inputs);
  n.outputs = {last.outputs[0]};
  n.provider = last.provider;  // the provider whose nodes it replaces
  return n;
}

Attribute float_attr(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::kFloat;
  a.f = v;
  return a;
}

Attribute int_attr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::kInt;
  a.i = v;
  return a;
}

Attribute string_attr(const std::string& name, std::string v) {
  Attribute a;
  a.name = name;
  a.type = Attribute::Type::kString;
  a.s = std::move(v);
  return a;
}

void apply(Graph& g, const std::set<size_t>& dead, Node fused) {
  const size_t slot = *dead.rbegin();
  std::vector<Node> out;
  out.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (i == slot) {
      out.push_back(std::move(fused));
    } else if (!dead.count(i)) {
      out.push_back(std::move(g.nodes[i]));
    }
  }
  g.nodes = std::move(out);
}

}  // namespace bog::runtime::cpu
