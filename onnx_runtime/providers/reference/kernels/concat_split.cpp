// Concat and Split along one axis. Both view a tensor as [outer, axis * inner] and move
// contiguous runs of elements, so they work on every dtype.
#include <fmt/format.h>

#include <algorithm>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= s[i];
  return p;
}

void concat(KernelContext& ctx) {
  const Node& node = ctx.node();
  if (ctx.num_inputs() == 0) fail(node, "needs at least one input");
  const Tensor& first = ctx.input(0);
  const int64_t rank = first.rank();
  if (ctx.opset() >= 4 && !node.has_attr("axis")) fail(node, "attribute axis is required");
  int64_t axis = node.attr_int("axis", 1);
  if (axis < -rank || axis >= rank) {
    fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
  }
  if (axis < 0) axis += rank;
  const size_t ax = static_cast<size_t>(axis);
  Shape out_shape = first.shape();
  out_shape[ax] = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& t = ctx.input(i);
    if (t.dtype() != first.dtype()) fail(node, "inputs have different dtypes");
    if (t.rank() != rank) {
      fail(node, fmt::format("input {} has shape {}, input 0 has {}", i, shape_to_string(t.shape()),
                             shape_to_string(first.shape())));
    }
    for (size_t a = 0; a < static_cast<size_t>(rank); ++a) {
      if (a != ax && t.shape()[a] != first.shape()[a]) {
        fail(node, fmt::format("input {} has shape {}, input 0 has {}", i,
                               shape_to_string(t.shape()), shape_to_string(first.shape())));
      }
    }
    out_shape[ax] += t.shape()[ax];
  }
  Tensor out(first.dtype(), out_shape);
  const int64_t outer = product(out_shape, 0, ax);
  const int64_t out_row = product(out_shape, ax, out_shape.size());
  int64_t offset = 0;  // start of the current input's run inside one output row
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& t = ctx.input(i);
    const int64_t run = product(t.shape(), ax, t.shape().size());
    const ElementCopier copy(t, out);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k = 0; k < run; ++k) copy(o * out_row + offset + k, o * run + k);
    }
    offset += run;
  }
  ctx.set_output(0, std::move(out));
}

// Sizes of the parts along the axis, from whichever of the split forms this opset uses.
std::vector<int64_t> split_sizes(KernelContext& ctx, int64_t dim) {
  const Node& node = ctx.node();
  const int64_t n_out = static_cast<int64_t>(ctx.num_outputs());
  std::vector<int64_t> sizes;
  bool given = false;
  if (ctx.opset() < 13 && node.has_attr("split")) {
    sizes = node.attr_ints("split");
    given = true;
  } else if ((ctx.opset() >= 13 || ctx.opset() == 1) && ctx.has_input(1)) {
    sizes = read_ints(ctx.input(1), node, "split");
    given = true;
  }
  if (given) {
    if (static_cast<int64_t>(sizes.size()) != n_out) {
      fail(node, fmt::format("split has {} entries for {} outputs", sizes.size(), n_out));
    }
    int64_t total = 0;
    for (const int64_t s : sizes) {
      if (s < 0) fail(node, fmt::format("negative split size {}", s));
      total += s;
    }
    if (total != dim) {
      fail(node, fmt::format("split sizes sum to {} but the axis has {}", total, dim));
    }
    return sizes;
  }
  if (ctx.opset() >= 18 && node.has_attr("num_outputs")) {
    const int64_t parts = node.attr_int("num_outputs", 0);
    if (parts != n_out) {
      fail(node, fmt::format("num_outputs is {} but the node has {} outputs", parts, n_out));
    }
    // Chunks of ceil(dim / parts); the last ones take what is left.
    const int64_t chunk = parts == 0 ? 0 : (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i) {
      sizes.push_back(std::min(chunk, std::max<int64_t>(0, dim - i * chunk)));
    }
    return sizes;
  }
  if (n_out == 0 || dim % n_out != 0) {
    fail(node, fmt::format("axis of size {} cannot be split into {} equal parts", dim, n_out));
  }
  return std::vector<int64_t>(static_cast<size_t>(n_out), dim / n_out);
}

void split(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const int64_t rank = in.rank();
  int64_t axis = node.attr_int("axis", 0);
  if (axis < -rank || axis >= rank) {
    fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
  }
  if (axis < 0) axis += rank;
  const size_t ax = static_cast<size_t>(axis);
  const std::vector<int64_t> sizes = split_sizes(ctx, in.shape()[ax]);
  const int64_t outer = product(in.shape(), 0, ax);
  const int64_t inner = product(in.shape(), ax + 1, in.shape().size());
  const int64_t in_row = in.shape()[ax] * inner;
  int64_t start = 0;  // first axis position of the current part
  for (size_t i = 0; i < sizes.size(); ++i) {
    Shape shape = in.shape();
    shape[ax] = sizes[i];
    Tensor out(in.dtype(), shape);
    const ElementCopier copy(in, out);
    const int64_t run = sizes[i] * inner;
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k = 0; k < run; ++k) copy(o * run + k, o * in_row + start * inner + k);
    }
    start += sizes[i];
    ctx.set_output(i, std::move(out));
  }
}

}  // namespace

void register_concat_split_kernels(KernelRegistry& registry) {
  registry.add({"Concat", "", 1, 1 << 20, concat});
  registry.add({"Split", "", 1, 1 << 20, split});
}

}  // namespace bog::runtime::ref
