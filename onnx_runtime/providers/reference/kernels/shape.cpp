// Shape (with start/end from opset 15) and Size: metadata of a tensor as int64 tensors.
#include <algorithm>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void shape(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  const int64_t rank = in.rank();
  // Out-of-range start/end are clamped, not rejected (spec, opset 15).
  auto clamp_axis = [rank](int64_t a) {
    return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank);
  };
  const int64_t start = clamp_axis(ctx.node().attr_int("start", 0));
  const int64_t end = clamp_axis(ctx.node().attr_int("end", rank));
  const int64_t n = std::max<int64_t>(0, end - start);
  Tensor& out = ctx.allocate_output(0, DType::kInt64, {n});
  for (int64_t i = 0; i < n; ++i) out.data<int64_t>()[i] = in.dim(start + i);
}

void size(KernelContext& ctx) {
  const int64_t n = ctx.input(0).numel();
  ctx.allocate_output(0, DType::kInt64, {}).data<int64_t>()[0] = n;
}

}  // namespace

void register_shape_kernels(KernelRegistry& registry) {
  registry.add({"Shape", "", 1, 1 << 20, shape});
  registry.add({"Size", "", 1, 1 << 20, size});
}

}  // namespace bog::runtime::ref
