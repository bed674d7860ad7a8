// Binary arithmetic with numpy broadcasting: Add, Sub, Mul, Div, Pow and Mod. Integer
// arithmetic wraps modulo 2^bits; integer division truncates toward zero (C semantics, which
// is what numpy's true division followed by astype gives for in-range results); an integer
// division or modulo by zero is an error rather than undefined behaviour.
#include <cmath>
#include <limits>

#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {
namespace {

[[noreturn]] void division_by_zero(const Node& node) {
  throw Error(ErrorCategory::kInvalidArgument,
              fmt::format("{} node '{}': integer division by zero", node.op_type, node.name));
}

template <class C>
C divide(C a, C b, const Node& node) {
  if constexpr (std::is_integral_v<C>) {
    if (b == C{0}) division_by_zero(node);
    if constexpr (std::is_signed_v<C>) {
      if (b == C{-1}) return wrap_neg(a);  // INT_MIN / -1 overflows in C
    }
    return static_cast<C>(a / b);
  } else {
    return a / b;
  }
}

// Mod with fmod=0: the result takes the divisor's sign (Python / numpy.mod).
template <class C>
C floor_mod(C a, C b, const Node& node) {
  if constexpr (std::is_integral_v<C>) {
    if (b == C{0}) division_by_zero(node);
    if constexpr (std::is_signed_v<C>) {
      if (b == C{-1}) return C{0};
    }
    C r = static_cast<C>(a % b);
    if constexpr (std::is_signed_v<C>) {
      if (r != C{0} && ((r < C{0}) != (b < C{0}))) r = static_cast<C>(r + b);
    }
    return r;
  } else {
    C r = std::fmod(a, b);
    if (r != C{0} && ((r < C{0}) != (b < C{0}))) r += b;
    return r;
  }
}

// Mod with fmod=1: the result takes the dividend's sign (C fmod / %).
template <class C>
C trunc_mod(C a, C b, const Node& node) {
  if constexpr (std::is_integral_v<C>) {
    if (b == C{0}) division_by_zero(node);
    if constexpr (std::is_signed_v<C>) {
      if (b == C{-1}) return C{0};
    }
    return static_cast<C>(a % b);
  } else {
    return std::fmod(a, b);
  }
}

// Integer power by squaring, wrapping on overflow. Negative exponents give the truncated
// reciprocal: 0 unless the base is 1 or -1.
template <class T>
T int_pow(T base, int64_t exp) {
  if (exp < 0) {
    if (base == T{1}) return T{1};
    if constexpr (std::is_signed_v<T>) {
      if (base == T{-1}) return (exp % 2 == 0) ? T{1} : T{-1};
    }
    return T{0};
  }
  T result{1};
  T b = base;
  while (exp > 0) {
    if (exp & 1) result = wrap_mul(result, b);
    b = wrap_mul(b, b);
    exp >>= 1;
  }
  return result;
}

// float -> integer for results that must land in T: truncation, NaN -> 0, clamped to range.
template <class T>
T saturate_to_int(double v) {
  if (std::isnan(v)) return T{0};
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) {
    return std::numeric_limits<T>::lowest();
  }
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

// Pow allows the exponent a different type than the base (opset 12+); the output has the
// base's type.
void pow_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& y = ctx.input(1);
  if (ctx.opset() < 12) require_same_dtype(ctx, 0, 1);
  const Shape y_shape = legacy_broadcast_shape(ctx, x.shape(), y.shape());
  const Shape out_shape = broadcast_shapes({&x.shape(), &y_shape}, ctx.node());
  dispatch(NumericTypes{}, x.dtype(), ctx.node(), [&](auto xtag) {
    using T = decltype(xtag);
    dispatch(NumericTypes{}, y.dtype(), ctx.node(), [&](auto ytag) {
      using E = decltype(ytag);
      Tensor& out = ctx.allocate_output(0, x.dtype(), out_shape);
      const BroadcastIndex ix(x.shape(), out_shape);
      const BroadcastIndex iy(y_shape, out_shape);
      const T* px = x.data<T>();
      const E* py = y.data<E>();
      T* po = out.data<T>();
      for (int64_t i = 0; i < out.numel(); ++i) {
        const auto base = load(px[ix(i)]);
        const auto exponent = load(py[iy(i)]);
        // Nested on T first: clang checks non-dependent statements of a branch whose condition
        // still depends on E, and int_pow(float base) cannot be stored to a BFloat16.
        if constexpr (std::is_integral_v<T>) {
          if constexpr (std::is_integral_v<E>) {
            po[i] = int_pow(base, static_cast<int64_t>(exponent));
          } else {
            po[i] = saturate_to_int<T>(
                std::pow(static_cast<double>(base), static_cast<double>(exponent)));
          }
        } else {
          po[i] = store<T>(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
        }
      }
    });
  });
}

}  // namespace

void register_binary_arithmetic(KernelRegistry& registry) {
  add_kernel(registry, "Add", 1, [](KernelContext& ctx) {
    binary_map<void>(ctx, NumericTypes{}, [](auto a, auto b) { return wrap_add(a, b); });
  });
  add_kernel(registry, "Sub", 1, [](KernelContext& ctx) {
    binary_map<void>(ctx, NumericTypes{}, [](auto a, auto b) { return wrap_sub(a, b); });
  });
  add_kernel(registry, "Mul", 1, [](KernelContext& ctx) {
    binary_map<void>(ctx, NumericTypes{}, [](auto a, auto b) { return wrap_mul(a, b); });
  });
  add_kernel(registry, "Div", 1, [](KernelContext& ctx) {
    const Node& node = ctx.node();
    binary_map<void>(ctx, NumericTypes{}, [&](auto a, auto b) { return divide(a, b, node); });
  });
  add_kernel(registry, "Pow", 1, pow_kernel);
  add_kernel(registry, "Mod", 10, [](KernelContext& ctx) {
    const Node& node = ctx.node();
    if (node.attr_int("fmod", 0) != 0) {
      binary_map<void>(ctx, NumericTypes{}, [&](auto a, auto b) { return trunc_mod(a, b, node); });
    } else {
      binary_map<void>(ctx, NumericTypes{}, [&](auto a, auto b) { return floor_mod(a, b, node); });
    }
  });
}

}  // namespace bog::runtime::ref
