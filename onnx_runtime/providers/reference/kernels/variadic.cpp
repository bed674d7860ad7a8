// Variadic elementwise ops over numpy-broadcast inputs: Max, Min, Sum and Mean. Max and Min
// propagate NaN (numpy.maximum/minimum semantics).
#include <cmath>
#include <type_traits>

#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {
namespace {

template <class C>
bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

}  // namespace

void register_variadic(KernelRegistry& registry) {
  const auto identity = [](auto v) { return v; };
  add_kernel(registry, "Max", 1, [identity](KernelContext& ctx) {
    variadic_map(
        ctx, NumericTypes{},
        [](auto acc, auto v) { return is_nan(acc) ? acc : (is_nan(v) || v > acc ? v : acc); },
        identity);
  });
  add_kernel(registry, "Min", 1, [identity](KernelContext& ctx) {
    variadic_map(
        ctx, NumericTypes{},
        [](auto acc, auto v) { return is_nan(acc) ? acc : (is_nan(v) || v < acc ? v : acc); },
        identity);
  });
  add_kernel(registry, "Sum", 1, [identity](KernelContext& ctx) {
    variadic_map(
        ctx, FloatTypes{}, [](auto acc, auto v) { return acc + v; }, identity);
  });
  add_kernel(registry, "Mean", 1, [](KernelContext& ctx) {
    const auto count = static_cast<double>(ctx.num_inputs());
    variadic_map(
        ctx, FloatTypes{}, [](auto acc, auto v) { return acc + v; },
        [count](auto acc) { return static_cast<decltype(acc)>(acc / count); });
  });
}

}  // namespace bog::runtime::ref
