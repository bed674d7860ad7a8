// Expand (numpy broadcast of the input to a requested shape) and Tile (repeat along each axis).
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void expand(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const Shape target = read_ints(ctx.input(1), node, "shape");
  for (const int64_t d : target) {
    if (d < 0) fail(node, fmt::format("shape {} has a negative dim", shape_to_string(target)));
  }
  // The requested shape takes part in the broadcast like any operand: its 1s keep input dims.
  const Shape out_shape = broadcast_shapes({&in.shape(), &target}, node);
  // Each output axis walks the input's stride, or 0 where the input broadcasts.
  const std::vector<int64_t> in_strides = strides_of(in.shape());
  std::vector<int64_t> steps(out_shape.size(), 0);
  for (size_t i = 0; i < in.shape().size(); ++i) {
    const size_t k = out_shape.size() - in.shape().size() + i;
    if (in.shape()[i] != 1) steps[k] = in_strides[i];
  }
  ctx.set_output(0, strided_copy(in, out_shape, 0, steps));
}

void tile(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const std::vector<int64_t> repeats = read_ints(ctx.input(1), node, "repeats");
  if (static_cast<int64_t>(repeats.size()) != in.rank()) {
    fail(node, fmt::format("repeats has {} entries for rank {}", repeats.size(), in.rank()));
  }
  Shape out_shape = in.shape();
  for (size_t a = 0; a < repeats.size(); ++a) {
    if (repeats[a] < 0) fail(node, fmt::format("negative repeat {}", repeats[a]));
    out_shape[a] *= repeats[a];
  }
  const std::vector<int64_t> strides = strides_of(in.shape());
  std::vector<int64_t> map;
  for_each_index(out_shape, [&](const std::vector<int64_t>& idx) {
    int64_t src = 0;
    for (size_t a = 0; a < idx.size(); ++a) src += (idx[a] % in.shape()[a]) * strides[a];
    map.push_back(src);
  });
  ctx.set_output(0, gather_by_map(in, std::move(out_shape), map));
}

}  // namespace

void register_expand_tile_kernels(KernelRegistry& registry) {
  registry.add({"Expand", "", 8, 1 << 20, expand});
  registry.add({"Tile", "", 6, 1 << 20, tile});
}

}  // namespace bog::runtime::ref
