// Fuses scaled dot-product attention into one Attention node (bog.cpu):
//
//   q ───────────────────────────┐
//   k ─► Transpose(0,1,3,2)? ─► MatMul ─► Mul(c) | Div(c) ? ─► Add(bias)? ─► Softmax(-1)
//                                                                             │ Cast(float)?
//   v ─────────────────────────────────────────────────────────────────► MatMul
//                                                    ─► Transpose(0,2,1,3) ─► Reshape ?
//
// as this project exports it and as torch writes BERT/LLaMA attention. Without the Transpose on
// k the MatMul's operand is taken as Kᵀ itself (torch's single Transpose(0,2,3,1)). With the
// trailing Transpose+Reshape the kernel writes the merged [B, T, H*D] output directly (the
// Reshape's shape stays an input, applied with ONNX's rules at run time). Grouped KV heads
// expanded by Unsqueeze(2) -> Expand -> Reshape are read in place (kv_expand below).
#include "onnx_runtime/providers/cpu/passes/pass_util.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"

namespace bog::runtime::cpu {
namespace {

// value = Reshape(Expand(Unsqueeze(x, axes=[2]), e), r): grouped KV heads repeated for every
// query head (this exporter's and torch's repeat_kv). The kernel reads x's heads by index
// instead, and checks e and r at run time.
struct KvExpand {
  std::string x, expand_shape, reshape_shape;
  std::set<size_t> nodes;
};

std::optional<KvExpand> kv_expand(const Graph& g, const GraphIndex& idx, const std::string& v) {
  size_t rs_i = 0, ex_i = 0, un_i = 0;
  const Node* rs = single_use_producer(g, idx, v, "Reshape", &rs_i);
  if (!rs || rs->inputs.size() != 2 || rs->attr_int("allowzero", 0) != 0) return std::nullopt;
  const Node* ex = single_use_producer(g, idx, rs->inputs[0], "Expand", &ex_i);
  if (!ex) return std::nullopt;
  const Node* un = single_use_producer(g, idx, ex->inputs[0], "Unsqueeze", &un_i);
  if (!un) return std::nullopt;
  const auto axes = un->opset >= 13
                        ? (un->inputs.size() > 1 ? int_initializer(g, un->inputs[1]) : std::nullopt)
                        : std::optional<std::vector<int64_t>>(un->attr_ints("axes"));
  if (!axes || *axes != std::vector<int64_t>{2}) return std::nullopt;
  return KvExpand{un->inputs[0], ex->inputs[1], rs->inputs[1], {rs_i, ex_i, un_i}};
}

}  // namespace

int fuse_attention(Graph& g, const std::string& provider) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g, provider);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& sm = g.nodes[i];
      if (sm.op_type != "Softmax" || !sm.domain.empty() || !idx.owns(sm)) continue;
      const int64_t axis = sm.attr_int("axis", sm.opset >= 13 ? -1 : 1);
      if (axis != -1 && axis != 3) continue;
      std::set<size_t> dead = {i};
      std::string s = sm.inputs[0];
      std::string bias;
      size_t j = 0;
      if (const Node* add = single_use_producer(g, idx, s, "Add", &j)) {
        // The scores side is the one a MatMul/Mul/Div with a single reader produces.
        bool found = false;
        for (int k = 0; k < 2 && !found; ++k) {
          const std::string& cand = add->inputs[static_cast<size_t>(k)];
          const auto p = idx.producer(cand);
          if (!p || !idx.single_use(cand)) continue;
          const std::string& op = g.nodes[*p].op_type;
          if (g.nodes[*p].domain.empty() && (op == "MatMul" || op == "Mul" || op == "Div")) {
            s = cand;
            bias = add->inputs[static_cast<size_t>(1 - k)];
            found = true;
          }
        }
        if (!found) continue;
        dead.insert(j);
      }
      double scale = 1.0;
      if (const Node* mul = single_use_producer(g, idx, s, "Mul", &j)) {
        std::optional<double> c;
        std::string other;
        for (int k = 0; k < 2 && !c; ++k) {
          c = scalar_initializer(g, mul->inputs[static_cast<size_t>(k)]);
          other = mul->inputs[static_cast<size_t>(1 - k)];
        }
        if (!c) continue;
        scale *= *c;
        s = other;
        dead.insert(j);
      } else if (const Node* div = single_use_producer(g, idx, s, "Div", &j)) {
        const auto c = scalar_initializer(g, div->inputs[1]);
        if (!c || *c == 0.0) continue;
        scale /= *c;
        s = div->inputs[0];
        dead.insert(j);
      }
      size_t mm1_i = 0;
      const Node* mm1 = single_use_producer(g, idx, s, "MatMul", &mm1_i);
      if (!mm1) continue;
      dead.insert(mm1_i);
      const std::string& q = mm1->inputs[0];
      std::string k = mm1->inputs[1];
      int64_t k_transposed = 1;
      if (const Node* tr = single_use_producer(g, idx, k, "Transpose", &j)) {
        if (transpose_perm(*tr) == std::vector<int64_t>{0, 1, 3, 2}) {
          k = tr->inputs[0];
          k_transposed = 0;
          dead.insert(j);
        }
      }
      // After the softmax: an optional Cast to float, then MatMul(probs, v).
      std::string probs = sm.outputs[0];
      if (const Node* cast = sole_consumer(g, idx, probs, "Cast", &j)) {
        if (cast->attr_int("to", 0) != 1) continue;
        probs = cast->outputs[0];
        dead.insert(j);
      }
      size_t mm2_i = 0;
      const Node* mm2 = sole_consumer(g, idx, probs, "MatMul", &mm2_i);
      if (!mm2 || mm2->inputs[0] != probs) continue;
      dead.insert(mm2_i);
      const std::string& v = mm2->inputs[1];
      const Node* last = mm2;
      std::string out_shape;
      int64_t merged = 0;
      size_t tr_i = 0, rs_i = 0;
      if (const Node* tr = sole_consumer(g, idx, mm2->outputs[0], "Transpose", &tr_i)) {
        const Node* rs = sole_consumer(g, idx, tr->outputs[0], "Reshape", &rs_i);
        if (transpose_perm(*tr) == std::vector<int64_t>{0, 2, 1, 3} && rs &&
            rs->attr_int("allowzero", 0) == 0 && rs->inputs.size() == 2) {
          dead.insert({tr_i, rs_i});
          out_shape = rs->inputs[1];
          merged = 1;
          last = rs;
        }
      }
      std::vector<std::string> inputs = {q, k, v, bias, out_shape, "", "", "", ""};
      if (!k_transposed) {
        if (const auto e = kv_expand(g, idx, k)) {
          inputs[1] = e->x;
          inputs[5] = e->expand_shape;
          inputs[6] = e->reshape_shape;
          dead.insert(e->nodes.begin(), e->nodes.end());
        }
      }
      if (const auto e = kv_expand(g, idx, v)) {
        inputs[2] = e->x;
        inputs[7] = e->expand_shape;
        inputs[8] = e->reshape_shape;
        dead.insert(e->nodes.begin(), e->nodes.end());
      }
      Node att = fused_node("Attention", *last, inputs);
      att.attributes.push_back(float_attr("scale", static_cast<float>(scale)));
      att.attributes.push_back(int_attr("k_transposed", k_transposed));
      att.attributes.push_back(int_attr("merged", merged));
      apply(g, dead, std::move(att));
      ++fused;
      changed = true;
    }
  }
  return fused;
}

}  // namespace bog::runtime::cpu
