#include "bench/graph_flops.h"

#include <vector>

namespace bog::bench {
namespace {

using runtime::Node;
using runtime::Shape;

double numel(const Shape& s) {
  double n = 1;
  for (const int64_t d : s) n *= static_cast<double>(d);
  return n;
}

double last_dim(const Shape& s) { return s.empty() ? 1.0 : static_cast<double>(s.back()); }

const Shape* input_shape(const Node& n, size_t i, const ShapeOf& shape_of) {
  if (i >= n.inputs.size() || n.inputs[i].empty()) return nullptr;
  return shape_of(n.inputs[i]);
}

const Shape* output_shape(const Node& n, const ShapeOf& shape_of) {
  if (n.outputs.empty() || n.outputs[0].empty()) return nullptr;
  return shape_of(n.outputs[0]);
}

}  // namespace

double node_flops(const Node& node, const ShapeOf& shape_of) {
  const std::string& op = node.op_type;
  const Shape* a = input_shape(node, 0, shape_of);
  const Shape* y = output_shape(node, shape_of);
  if (a == nullptr || y == nullptr) return 0;
  // Y [..., N] = A [..., K] · B: every output element is K multiply-adds.
  if (op == "MatMul" || op == "FusedMatMul" || op == "MatMulInteger" ||
      op == "DynamicQuantizeMatMul" || op == "MatMulNBits") {
    return 2.0 * numel(*y) * last_dim(*a);
  }
  if (op == "Gemm") {
    if (a->size() != 2) return 0;
    const double k = static_cast<double>(node.attr_int("transA", 0) != 0 ? (*a)[0] : (*a)[1]);
    return 2.0 * numel(*y) * k;
  }
  if (op == "Conv") {
    // Y [N, M, spatial...] from W [M, C/group, kernel...]: each output element reads
    // C/group x kernel inputs.
    const Shape* w = input_shape(node, 1, shape_of);
    if (w == nullptr || w->size() < 2) return 0;
    double per_output = 1;
    for (size_t i = 1; i < w->size(); ++i) per_output *= static_cast<double>((*w)[i]);
    return 2.0 * numel(*y) * per_output;
  }
  if (op == "Attention" && node.domain == "bog.cpu") {
    // Q [B, H, Tq, D] · Kᵀ, then P [B, H, Tq, Tk] · V [B, Hkv, Tk, Dv]: 2·Tk per element of
    // Q and of the output (whatever its layout).
    const Shape* v = input_shape(node, 2, shape_of);
    if (v == nullptr || v->size() < 2) return 0;
    const double tk = static_cast<double>((*v)[v->size() - 2]);
    return 2.0 * tk * (numel(*a) + numel(*y));
  }
  return 0;
}

double run_and_count_flops(runtime::Session& session,
                           const std::map<std::string, runtime::Tensor>& feeds) {
  std::map<std::string, Shape> shapes;
  for (const auto& [name, t] : session.model().graph.initializers) shapes[name] = t.shape();
  std::map<std::string, runtime::Value> values;
  for (const auto& [name, t] : feeds) {
    shapes[name] = t.shape();
    values.emplace(name, runtime::Value::from_tensor(t.clone()));
  }
  std::vector<Node> ran;
  session.set_node_observer([&](const Node& node, const std::vector<runtime::Value>& outs) {
    for (size_t i = 0; i < outs.size() && i < node.outputs.size(); ++i) {
      if (outs[i].kind == runtime::ValueKind::kTensor)
        shapes[node.outputs[i]] = outs[i].tensor.shape();
    }
    ran.push_back(node);
  });
  try {
    (void)session.run(std::move(values));
  } catch (...) {
    session.set_node_observer(nullptr);
    throw;
  }
  session.set_node_observer(nullptr);
  const ShapeOf shape_of = [&shapes](const std::string& name) -> const Shape* {
    const auto it = shapes.find(name);
    return it == shapes.end() ? nullptr : &it->second;
  };
  double total = 0;
  for (const Node& n : ran) total += node_flops(n, shape_of);
  return total;
}

}  // namespace bog::bench
