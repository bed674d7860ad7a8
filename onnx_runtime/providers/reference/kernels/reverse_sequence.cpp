// ReverseSequence: for each batch entry b, reverses its first sequence_lens[b] steps along the
// time axis and leaves the rest in place.
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void reverse_sequence(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const std::vector<int64_t> lens = read_ints(ctx.input(1), node, "sequence_lens");
  const int64_t time_axis = node.attr_int("time_axis", 0);
  const int64_t batch_axis = node.attr_int("batch_axis", 1);
  if (in.rank() < 2) fail(node, "input must have rank >= 2");
  if (!((time_axis == 0 && batch_axis == 1) || (time_axis == 1 && batch_axis == 0))) {
    fail(node, fmt::format("time_axis {} and batch_axis {} must be 0 and 1 in some order",
                           time_axis, batch_axis));
  }
  const int64_t batch = in.dim(batch_axis);
  const int64_t steps = in.dim(time_axis);
  if (static_cast<int64_t>(lens.size()) != batch) {
    fail(node, fmt::format("sequence_lens has {} entries for batch {}", lens.size(), batch));
  }
  for (const int64_t l : lens) {
    if (l < 0 || l > steps) fail(node, fmt::format("sequence length {} outside [0, {}]", l, steps));
  }
  const std::vector<int64_t> strides = strides_of(in.shape());
  const size_t t_ax = static_cast<size_t>(time_axis);
  const size_t b_ax = static_cast<size_t>(batch_axis);
  std::vector<int64_t> map;
  int64_t flat = 0;
  for_each_index(in.shape(), [&](const std::vector<int64_t>& idx) {
    const int64_t t = idx[t_ax];
    const int64_t len = lens[static_cast<size_t>(idx[b_ax])];
    map.push_back(t < len ? flat + (len - 1 - 2 * t) * strides[t_ax] : flat);
    ++flat;
  });
  ctx.set_output(0, gather_by_map(in, in.shape(), map));
}

}  // namespace

void register_reverse_sequence_kernels(KernelRegistry& registry) {
  registry.add({"ReverseSequence", "", 10, 1 << 20, reverse_sequence});
}

}  // namespace bog::runtime::ref
