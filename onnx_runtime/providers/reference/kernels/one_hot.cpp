// OneHot: a new axis of size depth holding on_value at each index and off_value elsewhere.
// Negative indices count from depth; indices outside [-depth, depth) give an all-off row.
#include <fmt/format.h>

#include <cmath>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void one_hot(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& indices = ctx.input(0);
  const Tensor& depth_t = ctx.input(1);
  const Tensor& values = ctx.input(2);
  if (depth_t.numel() != 1) fail(node, "depth must hold one value");
  if (values.numel() != 2) fail(node, "values must hold [off_value, on_value]");
  const int64_t depth = static_cast<int64_t>(element_as_double(depth_t, 0));
  if (depth <= 0) fail(node, fmt::format("depth must be positive, got {}", depth));
  const int64_t rank = indices.rank() + 1;
  int64_t axis = node.attr_int("axis", -1);
  if (axis < -rank || axis >= rank) {
    fail(node, fmt::format("axis {} out of range for output rank {}", axis, rank));
  }
  if (axis < 0) axis += rank;
  Shape out_shape = indices.shape();
  out_shape.insert(out_shape.begin() + axis, depth);
  int64_t outer = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= indices.dim(a);
  const int64_t inner = indices.numel() / (outer == 0 ? 1 : outer);
  // Map every output element to values[0] (off) or values[1] (on).
  std::vector<int64_t> map(static_cast<size_t>(outer * depth * inner), 0);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      double v = element_as_double(indices, o * inner + i);
      if (std::isnan(v)) continue;
      int64_t d = static_cast<int64_t>(v);
      if (d < 0) d += depth;
      if (d < 0 || d >= depth) continue;
      map[static_cast<size_t>((o * depth + d) * inner + i)] = 1;
    }
  }
  ctx.set_output(0, gather_by_map(values, std::move(out_shape), map));
}

}  // namespace

void register_one_hot_kernels(KernelRegistry& registry) {
  registry.add({"OneHot", "", 9, 1 << 20, one_hot});
}

}  // namespace bog::runtime::ref
