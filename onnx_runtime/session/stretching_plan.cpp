// The stretching memory plan of a decoder's growing past/total length (step_plan.h): two
// recorded runs tell which input dims grow and how each buffer's size grows with them.
#include <algorithm>
#include <string>

#include "onnx_runtime/session/step_plan.h"

namespace bog::runtime::session {
namespace {

// The growing dims of `second` against `first` (grown by the same amount, > 0), and that
// amount; 0 when the inputs differ otherwise or nothing grew.
int64_t growing_dims(const RecordedRun& first, const RecordedRun& second,
                     std::vector<std::vector<char>>& grows) {
  const size_t n = second.input_shapes.size();
  if (first.input_shapes.size() != n) return 0;
  int64_t step = 0;
  grows.assign(n, {});
  for (size_t k = 0; k < n; ++k) {
    const Shape& a = first.input_shapes[k];
    const Shape& b = second.input_shapes[k];
    if (first.input_dtypes[k] != second.input_dtypes[k] || a.size() != b.size()) return 0;
    grows[k].assign(a.size(), 0);
    for (size_t j = 0; j < a.size(); ++j) {
      if (a[j] == b[j]) continue;
      // A zero-length dim (a prefill's empty past) is a different program, not a shorter one.
      if (a[j] < 1 || (step != 0 && b[j] - a[j] != step) || b[j] < a[j]) return 0;
      step = b[j] - a[j];
      grows[k][j] = 1;
    }
  }
  return step;
}

int64_t longest_growing_dim(const std::vector<Shape>& shapes,
                            const std::vector<std::vector<char>>& grows) {
  int64_t len = 0;
  for (size_t k = 0; k < shapes.size(); ++k) {
    for (size_t j = 0; j < shapes[k].size(); ++j) {
      if (grows[k][j]) len = std::max(len, shapes[k][j]);
    }
  }
  return len;
}

// A buffer of `a` bytes at one length and `b` at `step` more, at `extra` beyond the second:
// linear in the length (attention rows, the cache), or 0 when that overflows.
size_t bytes_at(size_t a, size_t b, int64_t step, int64_t extra) {
  if (b <= a) return std::max(a, b);
  const size_t slope = b - a;
  const auto rows = static_cast<size_t>((extra + step - 1) / step);
  size_t grown = 0;
  if (__builtin_mul_overflow(slope, rows, &grown) || __builtin_add_overflow(grown, b, &grown))
    return 0;
  return grown;
}

bool same_shape(const SlotRecord& a, const SlotRecord& b) {
  return a.produced && b.produced && a.dtype == b.dtype && a.shape == b.shape;
}

}  // namespace

std::unique_ptr<Plan> build_stretching_plan(const StepGraph& top, const Graph& graph,
                                            const RecordedRun& first, RecordedRun& second,
                                            int64_t length_capacity) {
  auto plan = std::make_unique<Plan>();
  const int64_t step = growing_dims(first, second, plan->growing_dims);
  if (step <= 0) return nullptr;
  const int64_t length = longest_growing_dim(second.input_shapes, plan->growing_dims);
  if (length_capacity <= length) return nullptr;
  plan->stretches = true;
  plan->input_dtypes = second.input_dtypes;
  plan->input_shapes = second.input_shapes;
  plan->recorded_length = length;
  plan->length_capacity = length_capacity;
  const size_t n = top.steps.size();
  const size_t n_slots = top.slots.values.size();
  const std::vector<SlotRecord>& ra = first.slots;
  std::vector<SlotRecord>& rb = second.slots;

  // Shapes that did not grow: graph inputs without a growing dim, constants, and values whose
  // shape both runs gave alike (each run checks it still is).
  std::vector<char> fixed_shape(n_slots, 0);
  for (size_t u = 0; u < n_slots; ++u) fixed_shape[u] = top.is_constant[u];
  for (size_t k = 0; k < top.input_slots.size(); ++k) {
    const auto& g = plan->growing_dims[k];
    fixed_shape[static_cast<size_t>(top.input_slots[k])] =
        std::find(g.begin(), g.end(), 1) == g.end();
  }
  // Values kept from the record: shape-only values of fixed shapes, and what only they and
  // constants feed. Everything else runs at every step.
  std::vector<char> kept(n_slots, 0);
  for (size_t u = 0; u < n_slots; ++u) kept[u] = top.is_constant[u];
  plan->skip.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const Step& st = top.steps[i];
    const Node& node = graph.nodes[st.node_index];
    for (const int s : st.out_slots) {
      if (s >= 0)
        fixed_shape[static_cast<size_t>(s)] =
            same_shape(ra[static_cast<size_t>(s)], rb[static_cast<size_t>(s)]);
    }
    bool keep = !st.out_slots.empty();
    for (const int s : st.out_slots) {
      if (s >= 0 && !rb[static_cast<size_t>(s)].is_static) keep = false;
    }
    const bool shape_only =
        node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
    for (const int s : st.in_slots) {
      if (s < 0) continue;
      const auto u = static_cast<size_t>(s);
      if (!(kept[u] || (shape_only && fixed_shape[u]))) keep = false;
    }
    if (!keep) continue;
    plan->skip[i] = 1;
    for (const int s : st.out_slots) {
      if (s < 0) continue;
      kept[static_cast<size_t>(s)] = 1;
      plan->installed.emplace_back(s, std::move(rb[static_cast<size_t>(s)].static_value));
    }
  }
  // Buffers: every value a kernel placed in a buffer of its own, at the capacity's size; views
  // lie in their root's buffer.
  for (size_t u = 0; u < n_slots; ++u) {
    SlotRecord& r = rb[u];
    r.alias_root = kept[u] ? -1 : r.view_root;
    r.alias_offset = r.view_offset;
  }
  std::vector<int> first_step, last_step;
  buffer_lifetimes(top, rb, first_step, last_step);
  std::vector<BufferRequest> requests;
  std::vector<int> request_slot;
  const int64_t extra = length_capacity - length;
  for (size_t u = 0; u < n_slots; ++u) {
    const SlotRecord& r = rb[u];
    if (kept[u] || !r.own_buffer || first_step[u] < 0) continue;
    if (!ra[u].produced || !ra[u].own_buffer || ra[u].dtype != r.dtype) return nullptr;
    const size_t bytes = fixed_shape[u] ? r.bytes : bytes_at(ra[u].bytes, r.bytes, step, extra);
    if (bytes == 0 && r.bytes > 0) return nullptr;
    requests.push_back({bytes, first_step[u], last_step[u]});
    request_slot.push_back(static_cast<int>(u));
  }
  const MemoryPlan mp = plan_memory(requests);
  plan->arena = Arena(mp.arena_bytes);
  plan->planned.resize(n_slots);
  std::vector<std::byte*> base(n_slots, nullptr);
  for (size_t q = 0; q < requests.size(); ++q) {
    const auto u = static_cast<size_t>(request_slot[q]);
    base[u] = plan->arena.data() + mp.offsets[q];
    const int64_t elems =
        static_cast<int64_t>(requests[q].bytes / std::max<size_t>(dtype_size(rb[u].dtype), 1));
    plan->planned[u] = Tensor::borrow(rb[u].dtype, {elems}, base[u]);
  }
  // Views of fixed shape at a fixed place in a planned buffer need not run.
  for (size_t i = 0; i < n; ++i) {
    const Step& st = top.steps[i];
    if (plan->skip[i] || !is_view_op(graph.nodes[st.node_index]) || st.out_slots.size() != 1 ||
        st.out_slots[0] < 0)
      continue;
    const auto u = static_cast<size_t>(st.out_slots[0]);
    const SlotRecord& r = rb[u];
    const int root = r.view_root;
    if (root < 0 || base[static_cast<size_t>(root)] == nullptr || !fixed_shape[u] ||
        !fixed_shape[static_cast<size_t>(root)] || ra[u].view_root != root ||
        ra[u].view_offset != r.view_offset)
      continue;
    plan->skip[i] = 1;
    plan->installed.emplace_back(
        st.out_slots[0],
        Tensor::borrow(r.dtype, r.shape, base[static_cast<size_t>(root)] + r.view_offset));
  }
  plan->fixed_shapes.resize(n_slots);
  plan->step_planned.resize(n);
  plan->step_fixed_shapes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    for (const int s : top.steps[i].out_slots) {
      const auto u = static_cast<size_t>(std::max(s, 0));
      plan->step_planned[i].push_back(s >= 0 && plan->planned[u].defined() ? &plan->planned[u]
                                                                           : nullptr);
      if (s >= 0 && !plan->skip[i] && fixed_shape[u] && rb[u].produced &&
          rb[u].dtype != DType::kUndefined) {
        plan->fixed_shapes[u] = rb[u].shape;
        plan->step_fixed_shapes[i].emplace_back(s, &plan->fixed_shapes[u]);
      }
    }
  }
  return plan;
}

bool stretching_plan_fits(const StepGraph& top, const Plan& plan) {
  int64_t moved = 0;
  bool any = false;
  for (size_t k = 0; k < top.input_slots.size(); ++k) {
    const Tensor& t = top.slots[top.input_slots[k]].tensor;
    const Shape& want = plan.input_shapes[k];
    if (t.dtype() != plan.input_dtypes[k] || t.rank() != static_cast<int64_t>(want.size()))
      return false;
    for (size_t j = 0; j < want.size(); ++j) {
      const int64_t d = t.dim(static_cast<int64_t>(j));
      if (!plan.growing_dims[k][j]) {
        if (d != want[j]) return false;
        continue;
      }
      if (d < 1 || (any && d - want[j] != moved)) return false;
      moved = d - want[j];
      any = true;
    }
  }
  return plan.recorded_length + moved <= plan.length_capacity;
}

}  // namespace bog::runtime::session
