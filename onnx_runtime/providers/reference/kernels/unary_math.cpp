// Unary math: Abs, Neg, Reciprocal, Floor, Ceil, Round, Sqrt, Exp, Log, the trigonometric and
// hyperbolic functions, Erf, Sign, IsNaN, IsInf and Not. Float ops compute in the element's
// own precision (float for float16/bfloat16), as the ONNX numpy reference does.
#include <cmath>

#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {
namespace {

// Registers a float-only op y = f(x).
template <class F>
void add_float_unary(KernelRegistry& registry, const char* op, int since, F f) {
  add_kernel(registry, op, since,
             [f](KernelContext& ctx) { unary_map<void>(ctx, FloatTypes{}, f); });
}

}  // namespace

void register_unary_math(KernelRegistry& registry) {
  add_kernel(registry, "Abs", 1, [](KernelContext& ctx) {
    unary_map<void>(ctx, NumericTypes{}, [](auto x) {
      using C = decltype(x);
      if constexpr (std::is_floating_point_v<C>) {
        return std::fabs(x);
      } else if constexpr (std::is_unsigned_v<C>) {
        return x;
      } else {
        return x < C{0} ? wrap_neg(x) : x;  // INT_MIN stays INT_MIN, like numpy
      }
    });
  });
  add_kernel(registry, "Neg", 1, [](KernelContext& ctx) {
    unary_map<void>(ctx, SignedNumericTypes{}, [](auto x) { return wrap_neg(x); });
  });
  add_kernel(registry, "Sign", 9, [](KernelContext& ctx) {
    unary_map<void>(ctx, NumericTypes{}, [](auto x) {
      using C = decltype(x);
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(x)) return x;
      }
      return static_cast<C>(x > C{0} ? 1 : (x < C{0} ? -1 : 0));
    });
  });

  add_float_unary(registry, "Reciprocal", 1, [](auto x) { return decltype(x){1} / x; });
  add_float_unary(registry, "Floor", 1, [](auto x) { return std::floor(x); });
  add_float_unary(registry, "Ceil", 1, [](auto x) { return std::ceil(x); });
  // Halves go to the nearest even integer: nearbyint under the default rounding mode.
  add_float_unary(registry, "Round", 11, [](auto x) { return std::nearbyint(x); });
  add_float_unary(registry, "Sqrt", 1, [](auto x) { return std::sqrt(x); });
  add_float_unary(registry, "Exp", 1, [](auto x) { return std::exp(x); });
  add_float_unary(registry, "Log", 1, [](auto x) { return std::log(x); });
  add_float_unary(registry, "Sin", 7, [](auto x) { return std::sin(x); });
  add_float_unary(registry, "Cos", 7, [](auto x) { return std::cos(x); });
  add_float_unary(registry, "Tan", 7, [](auto x) { return std::tan(x); });
  add_float_unary(registry, "Asin", 7, [](auto x) { return std::asin(x); });
  add_float_unary(registry, "Acos", 7, [](auto x) { return std::acos(x); });
  add_float_unary(registry, "Atan", 7, [](auto x) { return std::atan(x); });
  add_float_unary(registry, "Sinh", 9, [](auto x) { return std::sinh(x); });
  add_float_unary(registry, "Cosh", 9, [](auto x) { return std::cosh(x); });
  add_float_unary(registry, "Tanh", 1, [](auto x) { return std::tanh(x); });
  add_float_unary(registry, "Asinh", 9, [](auto x) { return std::asinh(x); });
  add_float_unary(registry, "Acosh", 9, [](auto x) { return std::acosh(x); });
  add_float_unary(registry, "Atanh", 9, [](auto x) { return std::atanh(x); });
  add_float_unary(registry, "Erf", 9, [](auto x) { return std::erf(x); });

  add_kernel(registry, "IsNaN", 9, [](KernelContext& ctx) {
    unary_map<bool>(ctx, FloatTypes{}, [](auto x) { return std::isnan(x); });
  });
  add_kernel(registry, "IsInf", 10, [](KernelContext& ctx) {
    const bool negative = ctx.node().attr_int("detect_negative", 1) != 0;
    const bool positive = ctx.node().attr_int("detect_positive", 1) != 0;
    unary_map<bool>(ctx, FloatTypes{}, [&](auto x) {
      return std::isinf(x) && ((x > 0 && positive) || (x < 0 && negative));
    });
  });
  add_kernel(registry, "Not", 1, [](KernelContext& ctx) {
    unary_map<void>(ctx, BoolType{}, [](bool x) { return !x; });
  });
}

}  // namespace bog::runtime::ref
