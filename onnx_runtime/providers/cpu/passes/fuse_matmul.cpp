// Fuses a GEMM with a constant weight and what follows it into one FusedMatMul (bog.cpu):
//
//   A ─► MatMul(A, W) ─► Add(bias)? ─► Relu | Gelu | Silu ? ─► Add(residual)?
//   A ─► Gemm(A, W, bias; transA=0, alpha=beta=1)        (transB packs Wᵀ)
//
// and then SwiGLU's product: two FusedMatMuls on the same A with the same width, one with SiLU,
// read only by Mul(gate, up) ─► the Mul becomes the second GEMM's epilogue multiplier. Two int8
// GEMMs merge further: the gate's weight joins the up node (kDqmmGateW...), which computes the
// gate block by block, so the gate's output is never stored.
// W must be a 2-D float32 initializer (it is packed once); bias a 1-D float32 initializer.
//
// A DynamicQuantizeMatMul (the int8 chain, fused by quant_fusion.cpp before this pass) heads a
// chain the same way: its epilogue inputs have FusedMatMul's places, and it keeps its op type.
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/passes/pass_util.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"
#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"

namespace bog::runtime::cpu {
namespace {

const Tensor* float_initializer(const Graph& g, const std::string& name, int64_t rank) {
  const auto it = g.initializers.find(name);
  if (it == g.initializers.end() || it->second.dtype() != DType::kFloat32 ||
      it->second.rank() != rank || g.find_input(name) != nullptr) {
    return nullptr;
  }
  return &it->second;
}

bool is_fused(const GraphIndex& idx, const Node& n, const char* op) {
  return n.domain == kCpuFusedDomain && n.op_type == op && idx.owns(n);
}

// A GEMM node whose epilogue this pass grows: FusedMatMul or DynamicQuantizeMatMul.
bool is_epilogue_gemm(const GraphIndex& idx, const Node& n) {
  return is_fused(idx, n, "FusedMatMul") || is_fused(idx, n, kDynamicQuantizeMatMul);
}

// A DynamicQuantizeMatMul with no epilogue yet: its inputs (epilogue places empty), or false.
bool int8_gemm_form(const Graph& g, const GraphIndex& idx, const Node& n,
                    std::vector<std::string>* inputs, int64_t* width) {
  if (!is_fused(idx, n, kDynamicQuantizeMatMul) || n.has_attr("activation") ||
      n.inputs.size() <= kDqmmWScale) {
    return false;
  }
  for (size_t i = kFusedBias; i <= kFusedMultiplier; ++i) {
    if (!n.inputs[i].empty()) return false;
  }
  const auto w = g.initializers.find(n.inputs[1]);
  if (w == g.initializers.end() || w->second.rank() != 2) return false;
  *inputs = n.inputs;
  *width = w->second.dim(1);
  return true;
}

// The GEMM at node i as FusedMatMul inputs, or false.
bool gemm_form(const Graph& g, const GraphIndex& idx, const Node& n,
               std::vector<std::string>* inputs, bool* trans_w, int64_t* width) {
  if (!n.domain.empty() || !idx.owns(n) || n.inputs.size() < 2) return false;
  if (n.op_type == "MatMul") {
    const Tensor* w = float_initializer(g, n.inputs[1], 2);
    if (!w) return false;
    *inputs = {n.inputs[0], n.inputs[1], "", "", ""};
    *trans_w = false;
    *width = w->dim(1);
    return true;
  }
  if (n.op_type != "Gemm" || n.attr_int("transA", 0) != 0 || n.attr_float("alpha", 1.0f) != 1.0f) {
    return false;
  }
  const Tensor* w = float_initializer(g, n.inputs[1], 2);
  if (!w) return false;
  *trans_w = n.attr_int("transB", 0) != 0;
  *width = *trans_w ? w->dim(0) : w->dim(1);
  std::string bias;
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    if (n.attr_float("beta", 1.0f) != 1.0f) return false;
    const auto it = g.initializers.find(n.inputs[2]);
    if (it == g.initializers.end() || it->second.dtype() != DType::kFloat32 ||
        it->second.numel() != *width || it->second.rank() > 2 ||
        (it->second.rank() == 2 && it->second.dim(0) != 1)) {
      return false;
    }
    bias = n.inputs[2];
  }
  *inputs = {n.inputs[0], n.inputs[1], bias, "", ""};
  return true;
}

int fuse_chains(Graph& g, const std::string& provider) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g, provider);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      std::vector<std::string> inputs;
      bool trans_w = false;
      int64_t width = 0;
      const bool int8 = int8_gemm_form(g, idx, g.nodes[i], &inputs, &width);
      if (!int8 && !gemm_form(g, idx, g.nodes[i], &inputs, &trans_w, &width)) continue;
      std::set<size_t> dead = {i};
      const Node* last = &g.nodes[i];
      std::string activation;
      size_t j = 0;
      if (inputs[2].empty()) {
        if (const Node* add = sole_consumer(g, idx, last->outputs[0], "Add", &j)) {
          const std::string b = other_input(*add, last->outputs[0]);
          const Tensor* t = float_initializer(g, b, 1);
          if (t && t->dim(0) == width) {
            inputs[2] = b;
            dead.insert(j);
            last = add;
          }
        }
      }
      if (idx.single_use(last->outputs[0])) {
        const size_t c = idx.consumers(last->outputs[0])[0];
        const Node& next = g.nodes[c];
        if (next.domain.empty() && next.op_type == "Relu" && idx.owns(next)) {
          activation = "relu";
        } else if (is_fused(idx, next, "Gelu")) {
          activation = next.attr_string("approximate", "none") == "tanh" ? "gelu_tanh" : "gelu_erf";
        } else if (is_fused(idx, next, "Silu")) {
          activation = "silu";
        }
        if (!activation.empty()) {
          dead.insert(c);
          last = &next;
        }
      }
      if (const Node* add = sole_consumer(g, idx, last->outputs[0], "Add", &j)) {
        const std::string r = other_input(*add, last->outputs[0]);
        if (!r.empty() && !g.is_initializer(r)) {
          inputs[3] = r;
          dead.insert(j);
          last = add;
        }
      }
      // An int8 GEMM is already fused: rewrite it only when it absorbed something.
      if (int8 && dead.size() == 1) continue;
      const std::string op = int8 ? kDynamicQuantizeMatMul : "FusedMatMul";
      Node f = fused_node(op, *last, inputs);
      f.name = g.nodes[i].name.empty() ? f.name : g.nodes[i].name + "/" + op;
      if (!activation.empty()) f.attributes.push_back(string_attr("activation", activation));
      if (trans_w) f.attributes.push_back(int_attr("trans_w", 1));
      apply(g, dead, std::move(f));
      ++fused;
      changed = true;
    }
  }
  return fused;
}

// Whether an int8 gate can run inside the up GEMM: the same quantized X (and its scale and zero
// point), an activation and at most a bias for epilogue, not already carrying a gate.
bool merges_int8_gate(const Node& gate, const Node& up) {
  if (!gate.has_attr("activation") || gate.inputs.size() > kDqmmGateW ||
      up.inputs.size() > kDqmmGateW || gate.inputs.size() <= kDqmmWScale) {
    return false;
  }
  for (const size_t k : {kFusedResidual, kFusedMultiplier}) {
    if (!gate.inputs[k].empty()) return false;
  }
  for (const size_t k : {kDqmmXScale, kDqmmXZeroPoint}) {
    const std::string gx = gate.inputs.size() > k ? gate.inputs[k] : "";
    const std::string ux = up.inputs.size() > k ? up.inputs[k] : "";
    if (gx != ux) return false;
  }
  return true;
}

// Mul(gate, up) with gate = FusedMatMul(A, Wg; silu), up = FusedMatMul(A, Wu) of equal width.
int fuse_gated_products(Graph& g, const std::string& provider) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g, provider);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& up = g.nodes[i];
      if (!is_epilogue_gemm(idx, up) || up.has_attr("activation") || up.inputs.size() < 5 ||
          !up.inputs[3].empty() || !up.inputs[4].empty()) {
        continue;
      }
      size_t mul_i = 0;
      const Node* mul = sole_consumer(g, idx, up.outputs[0], "Mul", &mul_i);
      if (!mul) continue;
      const std::string gate_v = other_input(*mul, up.outputs[0]);
      const auto gp = idx.producer(gate_v);
      if (!gp) continue;
      const Node& gate = g.nodes[*gp];
      if (!is_epilogue_gemm(idx, gate) || gate.op_type != up.op_type ||
          gate.inputs[0] != up.inputs[0]) {
        continue;
      }
      const Tensor& wu = g.initializers.at(up.inputs[1]);
      const Tensor& wg = g.initializers.at(gate.inputs[1]);
      if (wu.shape() != wg.shape() || up.attr_int("trans_w", 0) != gate.attr_int("trans_w", 0)) {
        continue;
      }
      Node f = up;
      f.outputs = {mul->outputs[0]};
      size_t read_once = 0;
      if (up.op_type == kDynamicQuantizeMatMul && merges_int8_gate(gate, up) &&
          sole_consumer(g, idx, gate_v, "Mul", &read_once) && read_once == mul_i) {
        // The int8 gate runs inside the up GEMM, block by block: its output is never stored.
        f.inputs.resize(kDqmmGateBias + 1);
        f.inputs[kDqmmGateW] = gate.inputs[1];
        f.inputs[kDqmmGateWScale] = gate.inputs[kDqmmWScale];
        f.inputs[kDqmmGateWZeroPoint] =
            gate.inputs.size() > kDqmmWZeroPoint ? gate.inputs[kDqmmWZeroPoint] : "";
        f.inputs[kDqmmGateBias] = gate.inputs[kFusedBias];
        while (!f.inputs.empty() && f.inputs.back().empty()) f.inputs.pop_back();
        f.attributes.push_back(string_attr("gate_activation", gate.attr_string("activation", "")));
        apply(g, {*gp, i, mul_i}, std::move(f));
      } else {
        f.inputs[4] = gate_v;
        apply(g, {i, mul_i}, std::move(f));
      }
      ++fused;
      changed = true;
    }
  }
  return fused;
}

}  // namespace

int fuse_matmul(Graph& g, const std::string& provider) {
  const int chains = fuse_chains(g, provider);
  return chains + fuse_gated_products(g, provider);
}

}  // namespace bog::runtime::cpu
