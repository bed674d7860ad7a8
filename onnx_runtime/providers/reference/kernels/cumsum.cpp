// CumSum along one axis, optionally exclusive (each sum leaves out its own element) and/or
// reversed (sums run from the end). float16/bfloat16 accumulate in float32.
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

template <class T>
void cumsum_lines(const T* x, T* y, int64_t outer, int64_t dim, int64_t inner, bool exclusive,
                  bool reverse) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t s = 0; s < inner; ++s) {
      T acc{0};
      for (int64_t step = 0; step < dim; ++step) {
        const int64_t i = reverse ? dim - 1 - step : step;
        const int64_t e = (o * dim + i) * inner + s;
        if (exclusive) {
          y[e] = acc;
          acc = static_cast<T>(acc + x[e]);
        } else {
          acc = static_cast<T>(acc + x[e]);
          y[e] = acc;
        }
      }
    }
  }
}

void cumsum(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const int64_t rank = in.rank();
  int64_t axis = read_scalar_int(ctx.input(1), node, "axis");
  if (axis < -rank || axis >= rank) {
    fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
  }
  if (axis < 0) axis += rank;
  const bool exclusive = node.attr_int("exclusive", 0) != 0;
  const bool reverse = node.attr_int("reverse", 0) != 0;
  int64_t outer = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= in.dim(a);
  int64_t inner = 1;
  for (int64_t a = axis + 1; a < rank; ++a) inner *= in.dim(a);
  const int64_t dim = in.dim(axis);
  if (in.dtype() == DType::kFloat16 || in.dtype() == DType::kBFloat16) {
    const Tensor x = to_float32(in);
    Tensor y(DType::kFloat32, in.shape());
    cumsum_lines(x.data<float>(), y.data<float>(), outer, dim, inner, exclusive, reverse);
    ctx.set_output(0, from_float32(y, in.dtype()));
    return;
  }
  dispatch_numeric(in.dtype(), node, [&](auto tag) {
    using T = decltype(tag);
    Tensor& out = ctx.allocate_output(0, in.dtype(), in.shape());
    cumsum_lines(in.data<T>(), out.data<T>(), outer, dim, inner, exclusive, reverse);
  });
}

}  // namespace

void register_cumsum_kernels(KernelRegistry& registry) {
  registry.add({"CumSum", "", 11, 1 << 20, cumsum});
}

}  // namespace bog::runtime::ref
