// TopK: the k largest (or smallest) elements along an axis with their int64 indices. Ties keep
// the lower index first (a stable sort), which is what the spec asks for.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void topk(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const int64_t rank = in.rank();
  if (rank == 0) fail(node, "input must have rank >= 1");
  const int64_t k =
      ctx.opset() < 10 ? node.attr_int("k", -1) : read_scalar_int(ctx.input(1), node, "K");
  int64_t axis = node.attr_int("axis", -1);
  if (axis < -rank || axis >= rank) {
    fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
  }
  if (axis < 0) axis += rank;
  const int64_t dim = in.dim(axis);
  if (k < 0 || k > dim) fail(node, fmt::format("k = {} outside [0, {}]", k, dim));
  const bool largest = node.attr_int("largest", 1) != 0;
  int64_t outer = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= in.dim(a);
  int64_t inner = 1;
  for (int64_t a = axis + 1; a < rank; ++a) inner *= in.dim(a);
  Shape out_shape = in.shape();
  out_shape[static_cast<size_t>(axis)] = k;
  Tensor values(in.dtype(), out_shape);
  Tensor indices(DType::kInt64, out_shape);
  const ElementCopier copy(in, values);
  std::vector<int64_t> order(static_cast<size_t>(dim));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t s = 0; s < inner; ++s) {
      const int64_t base = o * dim * inner + s;
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
        const int c = compare_elements(in, base + x * inner, in, base + y * inner);
        return largest ? c > 0 : c < 0;
      });
      for (int64_t j = 0; j < k; ++j) {
        const int64_t dst = (o * k + j) * inner + s;
        copy(dst, base + order[static_cast<size_t>(j)] * inner);
        indices.data<int64_t>()[dst] = order[static_cast<size_t>(j)];
      }
    }
  }
  ctx.set_output(0, std::move(values));
  ctx.set_output(1, std::move(indices));
}

}  // namespace

void register_topk_kernels(KernelRegistry& registry) {
  registry.add({"TopK", "", 1, 1 << 20, topk});
}

}  // namespace bog::runtime::ref
