// Fuses the rotary embedding in the rotate-half layout,
//
//   x ─┬─► Slice(x, 0:h, last axis) ─────────────┐
//      ├─► Slice(x, h:D, last axis) ─► Neg ──► Concat(-, axis=-1) ─► Mul(sin) ─┐
//      └─► Mul(cos) ───────────────────────────────────────────────────────────┴─► Add ─► y
//
// into Rope(x, cos, sin, x1_start, x1_end, x2_start, x2_end) (bog.cpu). The slice bounds stay
// inputs because torch computes them from Shape at run time; the kernel checks they split the
// last axis in halves.
#include "onnx_runtime/providers/cpu/passes/pass_util.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"

namespace bog::runtime::cpu {
namespace {

// A Slice over one axis, step 1, whose axis is the last one (-1, or `last_axis` if known >= 0).
bool last_axis_slice(const Graph& g, const Node& s) {
  if (s.opset < 10 || s.inputs.size() < 4) return false;
  const auto axes = int_initializer(g, s.inputs[3]);
  if (!axes || axes->size() != 1) return false;
  if (s.inputs.size() > 4 && !s.inputs[4].empty()) {
    const auto steps = int_initializer(g, s.inputs[4]);
    if (!steps || steps->size() != 1 || (*steps)[0] != 1) return false;
  }
  return (*axes)[0] == -1 || (*axes)[0] >= 1;  // non-negative axes are checked at run time
}

}  // namespace

int fuse_rope(Graph& g, const std::string& provider) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g, provider);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& cat = g.nodes[i];
      if (cat.op_type != "Concat" || !cat.domain.empty() || !idx.owns(cat) ||
          cat.inputs.size() != 2) {
        continue;
      }
      size_t neg_i = 0, x2_i = 0, x1_i = 0, sin_i = 0, add_i = 0, cos_i = 0;
      const Node* neg = single_use_producer(g, idx, cat.inputs[0], "Neg", &neg_i);
      if (!neg) continue;
      const Node* x2 = single_use_producer(g, idx, neg->inputs[0], "Slice", &x2_i);
      const Node* x1 = single_use_producer(g, idx, cat.inputs[1], "Slice", &x1_i);
      if (!x1 || !x2 || x1->inputs[0] != x2->inputs[0] || !last_axis_slice(g, *x1) ||
          !last_axis_slice(g, *x2) ||
          int_initializer(g, x1->inputs[3]) != int_initializer(g, x2->inputs[3])) {
        continue;
      }
      const std::string& x = x1->inputs[0];
      const int64_t axis = (*int_initializer(g, x1->inputs[3]))[0];
      if (axis != -1 && cat.attr_int("axis", 0) != axis && cat.attr_int("axis", 0) != -1) continue;
      if (axis == -1 && cat.attr_int("axis", 0) != -1) continue;
      const Node* mul_sin = sole_consumer(g, idx, cat.outputs[0], "Mul", &sin_i);
      if (!mul_sin) continue;
      const std::string sin = other_input(*mul_sin, cat.outputs[0]);
      const Node* add = sole_consumer(g, idx, mul_sin->outputs[0], "Add", &add_i);
      if (!add) continue;
      const Node* mul_cos =
          single_use_producer(g, idx, other_input(*add, mul_sin->outputs[0]), "Mul", &cos_i);
      if (!mul_cos) continue;
      const std::string cos = other_input(*mul_cos, x);
      if (cos.empty() || sin.empty()) continue;
      Node rope = fused_node(
          "Rope", *add, {x, cos, sin, x1->inputs[1], x1->inputs[2], x2->inputs[1], x2->inputs[2]});
      rope.attributes.push_back(int_attr("axis", axis));
      apply(g, {neg_i, x2_i, x1_i, i, sin_i, add_i, cos_i}, std::move(rope));
      ++fused;
      changed = true;
    }
  }
  return fused;
}

}  // namespace bog::runtime::cpu
