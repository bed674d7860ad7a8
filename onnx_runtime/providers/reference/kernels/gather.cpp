// Index-driven reads: Gather, GatherElements, GatherND and Compress. Negative indices count
// from the end of their axis; an index outside [-dim, dim) is an error, never a stray read.
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

int64_t axis_attr(const Node& node, int64_t fallback, int64_t rank) {
  int64_t axis = node.attr_int("axis", fallback);
  if (axis < -rank || axis >= rank) {
    fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
  }
  return axis < 0 ? axis + rank : axis;
}

int64_t checked_index(int64_t i, int64_t dim, const Node& node) {
  if (i < -dim || i >= dim) {
    fail(node, fmt::format("index {} out of range for a dim of size {}", i, dim));
  }
  return i < 0 ? i + dim : i;
}

void gather(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& data = ctx.input(0);
  const Tensor& indices_t = ctx.input(1);
  if (data.rank() == 0) fail(node, "data must have rank >= 1");
  const int64_t axis = axis_attr(node, 0, data.rank());
  const std::vector<int64_t> indices = read_ints(indices_t, node, "indices");
  const Shape& ds = data.shape();
  const size_t ax = static_cast<size_t>(axis);
  Shape out_shape(ds.begin(), ds.begin() + axis);
  out_shape.insert(out_shape.end(), indices_t.shape().begin(), indices_t.shape().end());
  out_shape.insert(out_shape.end(), ds.begin() + axis + 1, ds.end());
  int64_t outer = 1;
  for (size_t a = 0; a < ax; ++a) outer *= ds[a];
  int64_t inner = 1;
  for (size_t a = ax + 1; a < ds.size(); ++a) inner *= ds[a];
  const int64_t dim = ds[ax];
  std::vector<int64_t> map;
  for (int64_t o = 0; o < outer; ++o) {
    for (const int64_t raw : indices) {
      const int64_t i = checked_index(raw, dim, node);
      for (int64_t k = 0; k < inner; ++k) map.push_back((o * dim + i) * inner + k);
    }
  }
  ctx.set_output(0, gather_by_map(data, std::move(out_shape), map));
}

void gather_elements(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& data = ctx.input(0);
  const Tensor& indices_t = ctx.input(1);
  if (data.rank() == 0 || indices_t.rank() != data.rank()) {
    fail(node, fmt::format("data {} and indices {} must have the same rank >= 1",
                           shape_to_string(data.shape()), shape_to_string(indices_t.shape())));
  }
  const int64_t axis = axis_attr(node, 0, data.rank());
  const std::vector<int64_t> indices = read_ints(indices_t, node, "indices");
  const std::vector<int64_t> strides = strides_of(data.shape());
  std::vector<int64_t> map;
  size_t n = 0;
  for_each_index(indices_t.shape(), [&](const std::vector<int64_t>& idx) {
    int64_t src = 0;
    for (size_t a = 0; a < idx.size(); ++a) {
      const int64_t i = static_cast<int64_t>(a) == axis
                            ? checked_index(indices[n], data.shape()[a], node)
                            : idx[a];
      if (i >= data.shape()[a]) fail(node, "indices shape exceeds data shape off the axis");
      src += i * strides[a];
    }
    map.push_back(src);
    ++n;
  });
  ctx.set_output(0, gather_by_map(data, indices_t.shape(), map));
}

void gather_nd(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& data = ctx.input(0);
  const Tensor& indices_t = ctx.input(1);
  const int64_t b = node.attr_int("batch_dims", 0);
  const int64_t r = data.rank();
  const int64_t q = indices_t.rank();
  if (q < 1 || b < 0 || b >= q || b >= r) {
    fail(node, fmt::format("batch_dims {} invalid for data rank {} and indices rank {}", b, r, q));
  }
  const int64_t k = indices_t.shape().back();
  if (k < 1 || k > r - b) {
    fail(node, fmt::format("indices last dim {} must be in [1, {}]", k, r - b));
  }
  const Shape& ds = data.shape();
  const Shape& is = indices_t.shape();
  int64_t batch = 1;
  for (int64_t a = 0; a < b; ++a) {
    if (ds[static_cast<size_t>(a)] != is[static_cast<size_t>(a)]) {
      fail(node, fmt::format("batch dims of data {} and indices {} differ", shape_to_string(ds),
                             shape_to_string(is)));
    }
    batch *= ds[static_cast<size_t>(a)];
  }
  Shape out_shape(is.begin(), is.end() - 1);
  out_shape.insert(out_shape.end(), ds.begin() + b + k, ds.end());
  int64_t tuples = 1;  // index tuples per batch entry
  for (int64_t a = b; a < q - 1; ++a) tuples *= is[static_cast<size_t>(a)];
  int64_t slice = 1;
  for (int64_t a = b + k; a < r; ++a) slice *= ds[static_cast<size_t>(a)];
  const std::vector<int64_t> strides = strides_of(ds);
  const int64_t batch_stride = b == 0 ? 0 : strides[static_cast<size_t>(b - 1)];
  const std::vector<int64_t> indices = read_ints(indices_t, node, "indices");
  std::vector<int64_t> map;
  for (int64_t bi = 0; bi < batch; ++bi) {
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t src = bi * batch_stride;
      for (int64_t j = 0; j < k; ++j) {
        const size_t axis = static_cast<size_t>(b + j);
        src +=
            checked_index(indices[static_cast<size_t>((bi * tuples + t) * k + j)], ds[axis], node) *
            strides[axis];
      }
      for (int64_t s = 0; s < slice; ++s) map.push_back(src + s);
    }
  }
  ctx.set_output(0, gather_by_map(data, std::move(out_shape), map));
}

void compress(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const Tensor& cond = ctx.input(1);
  if (cond.dtype() != DType::kBool || cond.rank() != 1) fail(node, "condition must be a 1-D bool");
  const bool* c = cond.data<bool>();
  const bool flat = !node.has_attr("axis");
  const Shape shape = flat ? Shape{in.numel()} : in.shape();
  const int64_t axis = flat ? 0 : axis_attr(node, 0, in.rank());
  const size_t ax = static_cast<size_t>(axis);
  const int64_t dim = shape[ax];
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < cond.numel(); ++i) {
    if (!c[i]) continue;
    if (i >= dim) fail(node, fmt::format("condition selects index {} of a dim of size {}", i, dim));
    keep.push_back(i);
  }
  int64_t outer = 1;
  for (size_t a = 0; a < ax; ++a) outer *= shape[a];
  int64_t inner = 1;
  for (size_t a = ax + 1; a < shape.size(); ++a) inner *= shape[a];
  Shape out_shape = shape;
  out_shape[ax] = static_cast<int64_t>(keep.size());
  std::vector<int64_t> map;
  for (int64_t o = 0; o < outer; ++o) {
    for (const int64_t i : keep) {
      for (int64_t s = 0; s < inner; ++s) map.push_back((o * dim + i) * inner + s);
    }
  }
  ctx.set_output(0, gather_by_map(in, std::move(out_shape), map));
}

}  // namespace

void register_gather_kernels(KernelRegistry& registry) {
  registry.add({"Gather", "", 1, 1 << 20, gather});
  registry.add({"GatherElements", "", 11, 1 << 20, gather_elements});
  registry.add({"GatherND", "", 11, 1 << 20, gather_nd});
  registry.add({"Compress", "", 9, 1 << 20, compress});
}

}  // namespace bog::runtime::ref
