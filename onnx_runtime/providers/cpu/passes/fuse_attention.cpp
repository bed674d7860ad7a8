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
//
// The 3-D form nn.MultiheadAttention exports (q, k, v as [batch*heads, T, D]; the scale a Div
// on q before the MatMul; torch's baddbmm as Add(Mul(mask, 1), Mul(scores, 1)); the head merge
// Transpose(1,0,2) -> Reshape) is fused the same way: the kernel takes it as one batch of
// batch*heads heads. The pass creates only nodes the kernel runs: q, k, v float32 of one static
// rank (3 or 4), a float32 bias of no higher rank, the head merge's perm of that rank, grouped-KV
// expands only in 4-D. Where the rank or type cannot be known before the run, it leaves the
// nodes alone (static_types.h).
#include "onnx_runtime/providers/cpu/passes/pass_util.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"
#include "onnx_runtime/providers/cpu/passes/static_types.h"

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

// A scalar factor on a value: x * c or x / c (c a one-element float initializer), its node
// index and x; `scale` is multiplied by c or 1/c.
const Node* scaled_by_constant(const Graph& g, const GraphIndex& idx, const std::string& value,
                               double* scale, std::string* x, size_t* index) {
  if (const Node* mul = single_use_producer(g, idx, value, "Mul", index)) {
    for (size_t k = 0; k < 2; ++k) {
      const auto c = scalar_initializer(g, mul->inputs[k]);
      if (c) {
        *scale *= *c;
        *x = mul->inputs[1 - k];
        return mul;
      }
    }
    return nullptr;
  }
  if (const Node* div = single_use_producer(g, idx, value, "Div", index)) {
    const auto c = scalar_initializer(g, div->inputs[1]);
    if (!c || *c == 0.0) return nullptr;
    *scale /= *c;
    *x = div->inputs[0];
    return div;
  }
  return nullptr;
}

// The kernel's static preconditions (attention_fused.cpp checks them again at run time): q,
// k, v float32 of one rank, 3 or 4; the bias float32 and of no higher rank.
bool kernel_accepts(const StaticTypes& types, const std::vector<std::string>& in, int rank) {
  for (size_t i = 0; i < 3; ++i) {
    if (!types.is(in[i], DType::kFloat32) || types.rank(in[i]) != rank) return false;
  }
  if (!in[3].empty()) {
    const auto r = types.rank(in[3]);
    if (!types.is(in[3], DType::kFloat32) || !r || *r > rank) return false;
  }
  return true;
}

}  // namespace

int fuse_attention(Graph& g, const std::string& provider) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g, provider);
    const StaticTypes types(g);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& sm = g.nodes[i];
      if (sm.op_type != "Softmax" || !sm.domain.empty() || !idx.owns(sm)) continue;
      // The attention's rank: the softmax keeps its input's.
      const auto rank = types.rank(sm.inputs[0]);
      if (rank != 3 && rank != 4) continue;
      const int64_t axis = sm.attr_int("axis", sm.opset >= 13 ? -1 : 1);
      if (axis != -1 && axis != *rank - 1) continue;
      std::set<size_t> dead = {i};
      std::string s = sm.inputs[0];
      std::string bias;
      size_t j = 0;
      if (const Node* add = single_use_producer(g, idx, s, "Add", &j)) {
        // The scores side: a single-reader MatMul, maybe scaled by a constant (torch's
        // baddbmm(mask, q, kᵀ) is Add(Mul(mask, 1), Mul(MatMul, 1))).
        bool found = false;
        for (int k = 0; k < 2 && !found; ++k) {
          const std::string& cand = add->inputs[static_cast<size_t>(k)];
          double unused = 1.0;
          std::string inner = cand;
          size_t unused_i = 0;
          scaled_by_constant(g, idx, cand, &unused, &inner, &unused_i);
          if (single_use_producer(g, idx, inner, "MatMul")) {
            s = cand;
            bias = add->inputs[static_cast<size_t>(1 - k)];
            found = true;
          }
        }
        if (!found) continue;
        dead.insert(j);
      }
      double scale = 1.0;
      if (scaled_by_constant(g, idx, s, &scale, &s, &j)) dead.insert(j);
      size_t mm1_i = 0;
      const Node* mm1 = single_use_producer(g, idx, s, "MatMul", &mm1_i);
      if (!mm1) continue;
      dead.insert(mm1_i);
      std::string q = mm1->inputs[0];
      // A scale on q before the product (nn.MultiheadAttention's q / sqrt(D)).
      if (scaled_by_constant(g, idx, q, &scale, &q, &j)) dead.insert(j);
      std::string k = mm1->inputs[1];
      int64_t k_transposed = 1;
      const std::vector<int64_t> swap_last =
          *rank == 4 ? std::vector<int64_t>{0, 1, 3, 2} : std::vector<int64_t>{0, 2, 1};
      if (const Node* tr = single_use_producer(g, idx, k, "Transpose", &j)) {
        if (transpose_perm(*tr) == swap_last) {
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
        const std::vector<int64_t> merge_heads =
            *rank == 4 ? std::vector<int64_t>{0, 2, 1, 3} : std::vector<int64_t>{1, 0, 2};
        if (transpose_perm(*tr) == merge_heads && rs && rs->attr_int("allowzero", 0) == 0 &&
            rs->inputs.size() == 2) {
          dead.insert({tr_i, rs_i});
          out_shape = rs->inputs[1];
          merged = 1;
          last = rs;
        }
      }
      std::vector<std::string> inputs = {q, k, v, bias, out_shape, "", "", "", ""};
      if (!k_transposed && *rank == 4) {
        if (const auto e = kv_expand(g, idx, k)) {
          inputs[1] = e->x;
          inputs[5] = e->expand_shape;
          inputs[6] = e->reshape_shape;
          dead.insert(e->nodes.begin(), e->nodes.end());
        }
      }
      if (const auto e = *rank == 4 ? kv_expand(g, idx, v) : std::nullopt) {
        inputs[2] = e->x;
        inputs[7] = e->expand_shape;
        inputs[8] = e->reshape_shape;
        dead.insert(e->nodes.begin(), e->nodes.end());
      }
      if (!kernel_accepts(types, inputs, *rank)) continue;
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
