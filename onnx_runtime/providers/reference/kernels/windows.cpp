// HannWindow, HammingWindow, BlackmanWindow (opset 17+): generalized cosine windows of
// length `size`; periodic windows use N = size, symmetric ones N = size - 1.
#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/float_io.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

// w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N).
KernelFn cosine_window(double a0, double a1, double a2) {
  return [a0, a1, a2](KernelContext& ctx) {
    const Node& node = ctx.node();
    const Tensor& size_t_in = ctx.input(0);
    if (size_t_in.numel() != 1) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': size must be a scalar", node.op_type, node.name));
    }
    const int64_t size = static_cast<int64_t>(read_numeric_as_doubles(size_t_in, node)[0]);
    if (size < 0) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': negative size {}", node.op_type, node.name, size));
    }
    const bool periodic = node.attr_int("periodic", 1) != 0;
    const double n_den = static_cast<double>(periodic ? size : size - 1);
    std::vector<double> w(static_cast<size_t>(size));
    for (int64_t i = 0; i < size; ++i) {
      const double t = n_den > 0 ? 2.0 * std::numbers::pi * static_cast<double>(i) / n_den : 0.0;
      w[static_cast<size_t>(i)] = a0 - a1 * std::cos(t) + a2 * std::cos(2.0 * t);
    }
    const DType out = static_cast<DType>(node.attr_int("output_datatype", 1));
    if (is_float_family(out)) {
      ctx.set_output(0, make_float_tensor(out, {size}, w, node));
      return;
    }
    Tensor& y = ctx.allocate_output(0, out, {size});
    dispatch_numeric(out, node, [&](auto zero) {
      using T = decltype(zero);
      for (int64_t i = 0; i < size; ++i) y.data<T>()[i] = static_cast<T>(w[static_cast<size_t>(i)]);
    });
  };
}

}  // namespace

void register_windows(KernelRegistry& registry) {
  registry.add({"HannWindow", "", 17, 1 << 20, cosine_window(0.5, 0.5, 0.0)});
  registry.add({"HammingWindow", "", 17, 1 << 20, cosine_window(25.0 / 46.0, 21.0 / 46.0, 0.0)});
  registry.add({"BlackmanWindow", "", 17, 1 << 20, cosine_window(0.42, 0.5, 0.08)});
}

}  // namespace bog::runtime::ref
