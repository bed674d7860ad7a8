// Recording a run and turning it into a memory plan (step_plan.h).
#include "onnx_runtime/session/step_plan.h"

#include <algorithm>
#include <set>
#include <string>

namespace bog::runtime::session {
namespace {

// Ops that may not be evaluated once and reused, even when their inputs are fixed.
bool is_nondeterministic(const Node& node) {
  static const std::set<std::string> kRandom = {
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
      "Bernoulli",    "Multinomial",   "Dropout"};
  if (kRandom.count(node.op_type)) return true;
  for (const Attribute& a : node.attributes) {
    if (a.g || !a.graphs.empty()) return true;
  }
  return false;
}

}  // namespace

bool is_view_op(const Node& node) {
  static const std::set<std::string> kViews = {"Reshape", "Flatten", "Squeeze", "Unsqueeze",
                                               "Identity"};
  return node.domain.empty() && kViews.count(node.op_type) > 0;
}

void record_step(const StepGraph& top, const Node& node, const Step& st,
                 std::vector<SlotRecord>& rec) {
  bool fixed = !is_nondeterministic(node);
  const bool shape_only_op =
      node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
  for (const int s : st.in_slots) {
    if (s < 0) continue;
    const auto u = static_cast<size_t>(s);
    const bool known = top.is_constant[u] || rec[u].is_static;
    const bool shape_known = known || top.is_graph_input[u] || rec[u].placed;
    if (!(shape_only_op ? shape_known : known)) fixed = false;
  }
  for (size_t o = 0; o < st.out_slots.size(); ++o) {
    const int s = st.out_slots[o];
    if (s < 0) continue;
    SlotRecord& r = rec[static_cast<size_t>(s)];
    const Value& v = top.slots[s];
    r.produced = true;
    if (v.kind != ValueKind::kTensor || !v.tensor.defined() || v.tensor.dtype() == DType::kString) {
      fixed = false;
      continue;
    }
    r.dtype = v.tensor.dtype();
    r.shape = v.tensor.shape();
    r.bytes = v.tensor.nbytes();
    r.placed = st.ctx->output_was_placed(o);
    // Does the output lie inside one of the inputs' buffers (a view)?
    const auto* p = static_cast<const std::byte*>(v.tensor.raw());
    for (const int in : st.in_slots) {
      if (in < 0 || p == nullptr) continue;
      const Value& iv = top.slots[in];
      if (iv.kind != ValueKind::kTensor || !iv.tensor.defined()) continue;
      const auto* b = static_cast<const std::byte*>(iv.tensor.raw());
      if (b != nullptr && p >= b && p < b + std::max<size_t>(iv.tensor.nbytes(), 1)) {
        const SlotRecord& ir = rec[static_cast<size_t>(in)];
        r.alias_root = ir.alias_root >= 0 ? ir.alias_root : in;
        r.alias_offset = (ir.alias_root >= 0 ? ir.alias_offset : 0) + static_cast<size_t>(p - b);
        // The buffer a view of a view lies in, through static values too (whose alias_root
        // is cleared below: a plan of exact shapes keeps them, a stretching plan may not).
        r.view_root = ir.view_root >= 0 ? ir.view_root : in;
        r.view_offset = (ir.view_root >= 0 ? ir.view_offset : 0) + static_cast<size_t>(p - b);
        r.placed = false;
        break;
      }
    }
    r.own_buffer = r.placed;
  }
  if (!fixed) return;
  for (const int s : st.out_slots) {
    if (s < 0) continue;
    SlotRecord& r = rec[static_cast<size_t>(s)];
    r.is_static = true;
    r.placed = false;
    r.alias_root = -1;
    r.static_value = top.slots[s].tensor.clone();
  }
}

std::unique_ptr<Plan> build_plan(const StepGraph& top, const Graph& graph,
                                 std::vector<SlotRecord>& rec) {
  auto plan = std::make_unique<Plan>();
  for (const int s : top.input_slots) {
    const Tensor& t = top.slots[s].tensor;
    plan->input_dtypes.push_back(t.dtype());
    plan->input_shapes.push_back(t.shape());
  }
  const size_t n = top.steps.size();
  const size_t n_slots = top.slots.values.size();
  plan->skip.assign(n, 0);
  plan->planned.resize(n_slots);
  std::vector<int> first, last;
  buffer_lifetimes(top, rec, first, last);
  std::vector<BufferRequest> requests;
  std::vector<int> request_slot;
  for (size_t u = 0; u < n_slots; ++u) {
    if (!rec[u].placed || rec[u].is_static || first[u] < 0) continue;
    requests.push_back({rec[u].bytes, first[u], last[u]});
    request_slot.push_back(static_cast<int>(u));
  }
  const MemoryPlan mp = plan_memory(requests);
  plan->arena = Arena(mp.arena_bytes);
  std::vector<std::byte*> base(n_slots, nullptr);
  for (size_t r = 0; r < requests.size(); ++r) {
    const auto u = static_cast<size_t>(request_slot[r]);
    base[u] = plan->arena.data() + mp.offsets[r];
    plan->planned[u] = Tensor::borrow(rec[u].dtype, rec[u].shape, base[u]);
  }
  for (size_t i = 0; i < n; ++i) {
    const Step& st = top.steps[i];
    const Node& node = graph.nodes[st.node_index];
    bool all_static = !st.out_slots.empty();
    for (const int s : st.out_slots) {
      if (s >= 0 && !rec[static_cast<size_t>(s)].is_static) all_static = false;
    }
    if (all_static) {
      plan->skip[i] = 1;
      for (const int s : st.out_slots) {
        if (s < 0) continue;
        Tensor& v = rec[static_cast<size_t>(s)].static_value;
        plan->installed.emplace_back(s, std::move(v));
      }
      continue;
    }
    // A view of a planned buffer: the view is fixed too, so the node need not run.
    if (is_view_op(node) && st.out_slots.size() == 1 && st.out_slots[0] >= 0) {
      const auto u = static_cast<size_t>(st.out_slots[0]);
      const int root = rec[u].alias_root;
      if (root >= 0 && base[static_cast<size_t>(root)] != nullptr) {
        plan->skip[i] = 1;
        plan->installed.emplace_back(
            st.out_slots[0], Tensor::borrow(rec[u].dtype, rec[u].shape,
                                            base[static_cast<size_t>(root)] + rec[u].alias_offset));
      }
    }
  }
  plan->step_planned.resize(n);
  for (size_t i = 0; i < n; ++i) {
    for (const int s : top.steps[i].out_slots) {
      const Tensor* t = s >= 0 && plan->planned[static_cast<size_t>(s)].defined()
                            ? &plan->planned[static_cast<size_t>(s)]
                            : nullptr;
      plan->step_planned[i].push_back(t);
    }
  }
  return plan;
}

// A buffer lives from its producer to the last read of it or of any view of it.
void buffer_lifetimes(const StepGraph& top, const std::vector<SlotRecord>& rec,
                      std::vector<int>& first, std::vector<int>& last) {
  const size_t n_slots = top.slots.values.size();
  first.assign(n_slots, -1);
  last.assign(n_slots, -1);
  for (size_t i = 0; i < top.steps.size(); ++i) {
    for (const int s : top.steps[i].out_slots) {
      if (s < 0) continue;
      const auto u = static_cast<size_t>(s);
      first[u] = static_cast<int>(i);
      last[u] = std::max(top.last_read[u], static_cast<int>(i));
      const int root = rec[u].alias_root;
      if (root >= 0) {
        const auto r = static_cast<size_t>(root);
        last[r] = std::max(last[r], last[u]);
      }
    }
  }
}

Plan* find_plan(const StepGraph& top, const std::vector<std::unique_ptr<Plan>>& plans) {
  for (const auto& p : plans) {
    if (p->input_shapes.size() != top.input_slots.size()) continue;
    if (p->stretches) {
      if (stretching_plan_fits(top, *p)) return p.get();
      continue;
    }
    bool same = true;
    for (size_t k = 0; k < top.input_slots.size() && same; ++k) {
      const Tensor& t = top.slots[top.input_slots[k]].tensor;
      same = t.same_layout(p->input_dtypes[k], p->input_shapes[k]);
    }
    if (same) return p.get();
  }
  return nullptr;
}

}  // namespace bog::runtime::session
