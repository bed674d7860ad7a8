// Where: elements of X where the condition holds, else of Y, with a three-way numpy broadcast.
// Any element type, strings included: elements are copied, never interpreted.
#include <cstring>

#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {

void register_where(KernelRegistry& registry) {
  add_kernel(registry, "Where", 9, [](KernelContext& ctx) {
    const Tensor& cond = ctx.input(0);
    const Tensor& x = ctx.input(1);
    const Tensor& y = ctx.input(2);
    const Node& node = ctx.node();
    if (cond.dtype() != DType::kBool) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Where node '{}': condition must be bool, got {}", node.name,
                              dtype_name(cond.dtype())));
    }
    require_same_dtype(ctx, 1, 2);
    const DType dtype = x.dtype();
    const size_t size = dtype_size(dtype);
    if (dtype != DType::kString && size == 0) unsupported_dtype(node, dtype);
    const Shape out_shape = broadcast_shapes({&cond.shape(), &x.shape(), &y.shape()}, node);
    Tensor& out = ctx.allocate_output(0, dtype, out_shape);
    const BroadcastIndex ic(cond.shape(), out_shape);
    const BroadcastIndex ix(x.shape(), out_shape);
    const BroadcastIndex iy(y.shape(), out_shape);
    const bool* c = cond.data<bool>();
    const int64_t n = out.numel();
    if (dtype == DType::kString) {
      for (int64_t i = 0; i < n; ++i) {
        out.strings()[static_cast<size_t>(i)] = c[ic(i)] ? x.strings()[static_cast<size_t>(ix(i))]
                                                         : y.strings()[static_cast<size_t>(iy(i))];
      }
      return;
    }
    const auto* px = static_cast<const unsigned char*>(x.raw());
    const auto* py = static_cast<const unsigned char*>(y.raw());
    auto* po = static_cast<unsigned char*>(out.raw());
    for (int64_t i = 0; i < n; ++i) {
      const unsigned char* src = c[ic(i)] ? px + static_cast<size_t>(ix(i)) * size
                                          : py + static_cast<size_t>(iy(i)) * size;
      std::memcpy(po + static_cast<size_t>(i) * size, src, size);
    }
  });
}

}  // namespace bog::runtime::ref
