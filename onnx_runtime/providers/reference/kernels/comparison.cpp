// Comparisons with numpy broadcasting and a bool output: Equal (numbers, bool and, from
// opset 19, strings), Greater, Less, GreaterOrEqual, LessOrEqual. NaN compares false.
#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {
namespace {

void string_equal(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const Shape out_shape = broadcast_shapes({&a.shape(), &b.shape()}, ctx.node());
  Tensor& y = ctx.allocate_output(0, DType::kBool, out_shape);
  const BroadcastIndex ia(a.shape(), out_shape);
  const BroadcastIndex ib(b.shape(), out_shape);
  bool* out = y.data<bool>();
  for (int64_t i = 0; i < y.numel(); ++i) {
    out[i] = a.strings()[static_cast<size_t>(ia(i))] == b.strings()[static_cast<size_t>(ib(i))];
  }
}

}  // namespace

void register_comparison(KernelRegistry& registry) {
  add_kernel(registry, "Equal", 1, [](KernelContext& ctx) {
    require_same_dtype(ctx, 0, 1);
    if (ctx.input(0).dtype() == DType::kString) {
      string_equal(ctx);
      return;
    }
    binary_map<bool>(ctx, NumericTypes{} + BoolType{}, [](auto a, auto b) { return a == b; });
  });
  add_kernel(registry, "Greater", 1, [](KernelContext& ctx) {
    binary_map<bool>(ctx, NumericTypes{}, [](auto a, auto b) { return a > b; });
  });
  add_kernel(registry, "Less", 1, [](KernelContext& ctx) {
    binary_map<bool>(ctx, NumericTypes{}, [](auto a, auto b) { return a < b; });
  });
  add_kernel(registry, "GreaterOrEqual", 12, [](KernelContext& ctx) {
    binary_map<bool>(ctx, NumericTypes{}, [](auto a, auto b) { return a >= b; });
  });
  add_kernel(registry, "LessOrEqual", 12, [](KernelContext& ctx) {
    binary_map<bool>(ctx, NumericTypes{}, [](auto a, auto b) { return a <= b; });
  });
}

}  // namespace bog::runtime::ref
