// Clip: y = min(max(x, lo), hi). Before opset 11 the bounds are float attributes; from 11 on
// they are optional scalar inputs of x's type (integers allowed from 12). When lo > hi every
// element becomes hi, as the spec says. NaN passes through.
#include <limits>

#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {
namespace {

// The bound at input `index` as the compute type, or `fallback` when the input is omitted.
template <class T>
compute_t<T> bound_input(const KernelContext& ctx, size_t index, compute_t<T> fallback) {
  if (!ctx.has_input(index)) return fallback;
  const Tensor& t = ctx.input(index);
  if (t.dtype() != ctx.input(0).dtype() || t.numel() != 1) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Clip node '{}': input {} must be a one-element {} tensor, got {} {}",
                            ctx.node().name, index, dtype_name(ctx.input(0).dtype()),
                            dtype_name(t.dtype()), shape_to_string(t.shape())));
  }
  return load(t.data<T>()[0]);
}

}  // namespace

void register_clip(KernelRegistry& registry) {
  add_kernel(registry, "Clip", 1, [](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    dispatch(NumericTypes{}, x.dtype(), ctx.node(), [&](auto tag) {
      using T = decltype(tag);
      using C = compute_t<T>;
      C lo = std::numeric_limits<C>::lowest();
      C hi = std::numeric_limits<C>::max();
      if (ctx.opset() < 11) {
        if constexpr (std::is_floating_point_v<C>) {
          lo = static_cast<C>(ctx.node().attr_float("min", std::numeric_limits<float>::lowest()));
          hi = static_cast<C>(ctx.node().attr_float("max", std::numeric_limits<float>::max()));
        } else {
          unsupported_dtype(ctx.node(), x.dtype());
        }
      } else {
        lo = bound_input<T>(ctx, 1, lo);
        hi = bound_input<T>(ctx, 2, hi);
      }
      Tensor& y = ctx.allocate_output(0, x.dtype(), x.shape());
      const T* in = x.data<T>();
      T* out = y.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const C v = load(in[i]);
        const C above = v < lo ? lo : v;  // NaN fails both tests and is kept
        out[i] = store<T>(hi < above ? hi : above);
      }
    });
  });
}

}  // namespace bog::runtime::ref
