// Pattern fusions of the cpu provider. Every matched intermediate value must have exactly one
// reader and must not be a graph output, so removing it changes nothing observable.
#include <cmath>
#include <set>

#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cpu/passes/graph_index.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"

namespace bog::runtime::cpu {
namespace {

bool near(std::optional<double> v, double want, double tol = 1e-4) {
  return v && std::fabs(*v - want) <= tol * std::max(1.0, std::fabs(want));
}

// The node producing `value` if it has the given op type, is on cpu, and `value` has one use.
const Node* single_use_producer(const Graph& g, const GraphIndex& idx, const std::string& value,
                                const char* op_type, size_t* index = nullptr) {
  const auto p = idx.producer(value);
  if (!p || !idx.single_use(value)) return nullptr;
  const Node& n = g.nodes[*p];
  if (n.op_type != op_type || !n.domain.empty() || n.provider != "cpu") return nullptr;
  if (index) *index = *p;
  return &n;
}

// The one node reading `value`, if it has the given op type and is on cpu.
const Node* sole_consumer(const Graph& g, const GraphIndex& idx, const std::string& value,
                          const char* op_type, size_t* index) {
  if (!idx.single_use(value)) return nullptr;
  const size_t c = idx.consumers(value)[0];
  const Node& n = g.nodes[c];
  if (n.op_type != op_type || !n.domain.empty() || n.provider != "cpu") return nullptr;
  *index = c;
  return &n;
}

// The input of a binary node that is not `known`, or "" if `known` is not one of its inputs.
std::string other_input(const Node& n, const std::string& known) {
  if (n.inputs.size() != 2) return "";
  if (n.inputs[0] == known) return n.inputs[1];
  if (n.inputs[1] == known) return n.inputs[0];
  return "";
}

Node fused_node(std::string op_type, const Node& last, std::vector<std::string> inputs) {
  Node n;
  n.op_type = std::move(op_type);
  n.domain = kCpuFusedDomain;
  n.opset = 1;
  n.name = last.name.empty() ? n.op_type : last.name + "/" + n.op_type;
  n.inputs = std::move(inputs);
  n.outputs = {last.outputs[0]};
  n.provider = "cpu";
  return n;
}

// Replaces the nodes in `dead` by `fused`, which takes the slot of the last of them.
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

}  // namespace

// Fuses
//   Y = MatMul(A, W) -> Add(Y, b)     (W: 2-D initializer [K, N], b: 1-D initializer [N])
// into FusedMatMulAdd(A, W, b): the bias is added while the GEMM's output block is hot.
int fuse_matmul_add(Graph& g) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& mm = g.nodes[i];
      if (mm.op_type != "MatMul" || !mm.domain.empty() || mm.provider != "cpu") continue;
      const auto w = g.initializers.find(mm.inputs[1]);
      if (w == g.initializers.end() || w->second.rank() != 2 ||
          w->second.dtype() != DType::kFloat32) {
        continue;
      }
      size_t add_i = 0;
      const Node* add = sole_consumer(g, idx, mm.outputs[0], "Add", &add_i);
      if (!add) continue;
      const std::string bias = other_input(*add, mm.outputs[0]);
      const auto b = g.initializers.find(bias);
      if (b == g.initializers.end() || b->second.rank() != 1 ||
          b->second.dtype() != DType::kFloat32 || b->second.dim(0) != w->second.dim(1)) {
        continue;
      }
      apply(g, {i, add_i}, fused_node("FusedMatMulAdd", *add, {mm.inputs[0], mm.inputs[1], bias}));
      ++fused;
      changed = true;
    }
  }
  return fused;
}

// Fuses RMSNorm written as
//   X -> Pow(2) -> ReduceMean(axes=[-1]) -> Add(eps) -> Sqrt -> Div(X, .) -> Mul(scale)?
// into one RmsNorm(X, scale) node. Both X inputs must be the same value; scale is an
// initializer. (PyTorch's Div(1, Sqrt(.)) * X form is not matched.)
int fuse_rms_norm(Graph& g) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& div = g.nodes[i];
      if (div.op_type != "Div" || !div.domain.empty() || div.provider != "cpu") continue;
      const std::string& x = div.inputs[0];
      size_t sqrt_i = 0, add_i = 0, mean_i = 0, pow_i = 0;
      const Node* sq = single_use_producer(g, idx, div.inputs[1], "Sqrt", &sqrt_i);
      if (!sq) continue;
      const Node* add = single_use_producer(g, idx, sq->inputs[0], "Add", &add_i);
      if (!add) continue;
      std::string reduced;
      std::optional<double> eps;
      for (int k = 0; k < 2 && !eps; ++k) {
        eps = scalar_initializer(g, add->inputs[static_cast<size_t>(k)]);
        reduced = add->inputs[static_cast<size_t>(1 - k)];
      }
      if (!eps) continue;
      const Node* mean = single_use_producer(g, idx, reduced, "ReduceMean", &mean_i);
      if (!mean || mean->attr_int("keepdims", 1) != 1) continue;
      const auto axes = reduce_axes(g, *mean);
      if (!axes || *axes != std::vector<int64_t>{-1}) continue;
      const Node* pw = single_use_producer(g, idx, mean->inputs[0], "Pow", &pow_i);
      if (!pw || pw->inputs[0] != x || !near(scalar_initializer(g, pw->inputs[1]), 2.0)) continue;

      std::set<size_t> dead = {pow_i, mean_i, add_i, sqrt_i, i};
      std::vector<std::string> inputs = {x};
      const Node* last = &div;
      size_t mul_i = 0;
      if (const Node* mul = sole_consumer(g, idx, div.outputs[0], "Mul", &mul_i)) {
        const std::string scale = other_input(*mul, div.outputs[0]);
        const auto s = g.initializers.find(scale);
        if (s != g.initializers.end() && s->second.rank() == 1 &&
            s->second.dtype() == DType::kFloat32) {
          inputs.push_back(scale);
          dead.insert(mul_i);
          last = mul;
        }
      }
      Node rms = fused_node("RmsNorm", *last, inputs);
      Attribute e;
      e.name = "epsilon";
      e.type = Attribute::Type::kFloat;
      e.f = static_cast<float>(*eps);
      rms.attributes.push_back(e);
      apply(g, dead, std::move(rms));
      ++fused;
      changed = true;
    }
  }
  return fused;
}

// Fuses the exact-erf GELU written as
//   X -> Div(sqrt(2)) | Mul(1/sqrt(2)) -> Erf -> Add(1) -> Mul(X, .) -> Mul(0.5)
// into one Gelu(X) node.
int fuse_gelu(Graph& g) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& erf = g.nodes[i];
      if (erf.op_type != "Erf" || !erf.domain.empty() || erf.provider != "cpu") continue;
      size_t scale_i = 0, add_i = 0, mul_i = 0, half_i = 0;
      std::string x;
      if (const Node* d = single_use_producer(g, idx, erf.inputs[0], "Div", &scale_i)) {
        if (near(scalar_initializer(g, d->inputs[1]), std::sqrt(2.0))) x = d->inputs[0];
      } else if (const Node* m = single_use_producer(g, idx, erf.inputs[0], "Mul", &scale_i)) {
        for (int k = 0; k < 2 && x.empty(); ++k) {
          if (near(scalar_initializer(g, m->inputs[static_cast<size_t>(k)]), std::sqrt(0.5))) {
            x = m->inputs[static_cast<size_t>(1 - k)];
          }
        }
      }
      if (x.empty()) continue;
      const Node* add = sole_consumer(g, idx, erf.outputs[0], "Add", &add_i);
      if (!add || !near(scalar_initializer(g, other_input(*add, erf.outputs[0])), 1.0)) continue;
      const Node* mul = sole_consumer(g, idx, add->outputs[0], "Mul", &mul_i);
      if (!mul || other_input(*mul, add->outputs[0]) != x) continue;
      const Node* half = sole_consumer(g, idx, mul->outputs[0], "Mul", &half_i);
      if (!half || !near(scalar_initializer(g, other_input(*half, mul->outputs[0])), 0.5)) continue;
      apply(g, {scale_i, i, add_i, mul_i, half_i}, fused_node("Gelu", *half, {x}));
      ++fused;
      changed = true;
    }
  }
  return fused;
}

}  // namespace bog::runtime::cpu
