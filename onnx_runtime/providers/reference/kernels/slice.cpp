// Slice: attributes starts/ends/axes before opset 10, inputs (with steps) from 10. Starts and
// ends are clamped per the spec: [0, dim] for positive steps, [-1, dim - 1] for negative ones.
#include <fmt/format.h>

#include <algorithm>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void slice(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const int64_t rank = in.rank();
  std::vector<int64_t> starts, ends, axes, steps;
  bool has_axes = false;
  if (ctx.opset() < 10) {
    starts = node.attr_ints("starts");
    ends = node.attr_ints("ends");
    has_axes = node.has_attr("axes");
    axes = node.attr_ints("axes");
  } else {
    starts = read_ints(ctx.input(1), node, "starts");
    ends = read_ints(ctx.input(2), node, "ends");
    if (ctx.has_input(3)) {
      has_axes = true;
      axes = read_ints(ctx.input(3), node, "axes");
    }
    if (ctx.has_input(4)) steps = read_ints(ctx.input(4), node, "steps");
  }
  if (starts.size() != ends.size()) {
    fail(node, fmt::format("{} starts but {} ends", starts.size(), ends.size()));
  }
  if (!has_axes) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size()) {
    fail(node, fmt::format("starts/ends/axes/steps lengths differ ({}, {}, {}, {})", starts.size(),
                           ends.size(), axes.size(), steps.size()));
  }
  std::vector<int64_t> first(static_cast<size_t>(rank), 0);  // start per axis
  std::vector<int64_t> step(static_cast<size_t>(rank), 1);
  Shape out_shape = in.shape();
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i];
    if (axis < -rank || axis >= rank) {
      fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
    }
    if (axis < 0) axis += rank;
    const size_t a = static_cast<size_t>(axis);
    if (seen[a]) fail(node, fmt::format("axis {} repeated", axis));
    seen[a] = true;
    const int64_t dim = in.shape()[a];
    const int64_t s = steps[i];
    if (s == 0) fail(node, "step must not be 0");
    int64_t b = starts[i];
    int64_t e = ends[i];
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    int64_t n = 0;
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      n = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = std::clamp<int64_t>(b, -1, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      n = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    first[a] = b;
    step[a] = s;
    out_shape[a] = n;
  }
  const std::vector<int64_t> strides = strides_of(in.shape());
  int64_t base = 0;
  std::vector<int64_t> walk(static_cast<size_t>(rank));
  for (size_t a = 0; a < walk.size(); ++a) {
    base += first[a] * strides[a];
    walk[a] = step[a] * strides[a];
  }
  ctx.set_output(0, strided_copy(in, out_shape, base, walk));
}

}  // namespace

void register_slice_kernels(KernelRegistry& registry) {
  registry.add({"Slice", "", 1, 1 << 20, slice});
}

}  // namespace bog::runtime::ref
