// Helpers for the elementwise reference kernels: type lists and dispatch, loading float16 and
// bfloat16 as float, wrapping integer arithmetic, and unary/binary/variadic maps with numpy
// broadcasting. Every kernel in the elementwise family is a short lambda on top of these.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/error.h"
#include "onnx_runtime/kernel.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/tensor.h"

namespace bog::runtime::ref {

// ---- type lists and dispatch ----------------------------------------------------------------

template <class... Ts>
struct TypeList {};
template <class... A, class... B>
constexpr TypeList<A..., B...> operator+(TypeList<A...>, TypeList<B...>) {
  return {};
}

using FloatTypes = TypeList<float, double, Float16, BFloat16>;
using SignedIntTypes = TypeList<int8_t, int16_t, int32_t, int64_t>;
using UnsignedIntTypes = TypeList<uint8_t, uint16_t, uint32_t, uint64_t>;
using IntTypes = decltype(SignedIntTypes{} + UnsignedIntTypes{});
using NumericTypes = decltype(FloatTypes{} + IntTypes{});
using SignedNumericTypes = decltype(FloatTypes{} + SignedIntTypes{});
using BoolType = TypeList<bool>;

// Calls f(T{}) for the C++ type T in the list whose dtype is `dtype`; Error(kUnsupported)
// naming the node when the list does not hold it.
template <class... Ts, class F>
void dispatch(TypeList<Ts...> /*types*/, DType dtype, const Node& node, F&& f) {
  const bool found = ((dtype == dtype_of<Ts>() ? (f(Ts{}), true) : false) || ...);
  if (!found) unsupported_dtype(node, dtype);
}

// ---- element load/store ---------------------------------------------------------------------

// The type a kernel computes in: 16-bit floats widen to float, everything else is itself.
template <class T>
struct ComputeOf {
  using type = T;
};
template <>
struct ComputeOf<Float16> {
  using type = float;
};
template <>
struct ComputeOf<BFloat16> {
  using type = float;
};
template <class T>
using compute_t = typename ComputeOf<T>::type;

template <class T>
compute_t<T> load(T v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return to_float(v);
  } else {
    return v;
  }
}

// Converts a computed value to the stored element type (16-bit floats round to nearest even,
// integers wrap as C++20 conversions do, bool is "non-zero").
template <class T, class U>
T store(U v) {
  if constexpr (std::is_same_v<T, Float16>) {
    return to_float16(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return to_bfloat16(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != U{};
  } else {
    return static_cast<T>(v);
  }
}

// Integer +, -, * and negation without signed-overflow UB: computed modulo 2^bits as the
// hardware does (and as numpy's fixed-width integers do). Small types go through uint32 so
// integer promotion cannot overflow either.
template <class T>
using wrap_unsigned_t = std::conditional_t<(sizeof(T) < 4), uint32_t, std::make_unsigned_t<T>>;

template <class T>
T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = wrap_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}
template <class T>
T wrap_sub(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = wrap_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return a - b;
  }
}
template <class T>
T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = wrap_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}
template <class T>
T wrap_neg(T a) {
  return wrap_sub(T{0}, a);
}

// ---- broadcasting ---------------------------------------------------------------------------

// Maps an output flat index to the flat index of one broadcast input. Same-shape and
// single-element inputs need no arithmetic; otherwise the output index is kept as
// per-dim counters that step with it (kernels walk the output in order; any other index is
// found by division), so nothing is allocated per call.
class BroadcastIndex {
 public:
  BroadcastIndex(std::span<const int64_t> in, std::span<const int64_t> out) {
    int64_t n = 1;
    for (const int64_t d : in) n *= d;
    if (std::equal(in.begin(), in.end(), out.begin(), out.end())) {
      mode_ = Mode::kIdentity;
    } else if (n == 1) {
      mode_ = Mode::kScalar;
    } else {
      mode_ = Mode::kStrided;
      dims_.assign(out);
      strides_.assign(out.size(), 0);
      const size_t off = out.size() - in.size();
      int64_t stride = 1;
      for (size_t i = in.size(); i-- > 0;) {
        strides_[off + i] = in[i] == 1 ? 0 : stride;
        stride *= in[i];
      }
      at_.assign(out.size(), 0);
    }
  }
  int64_t operator()(int64_t i) const {
    switch (mode_) {
      case Mode::kIdentity:
        return i;
      case Mode::kScalar:
        return 0;
      case Mode::kStrided:
        break;
    }
    if (i != next_) seek(i);
    const int64_t src = src_;
    step();
    next_ = i + 1;
    return src;
  }

 private:
  void seek(int64_t i) const {
    src_ = 0;
    for (size_t a = dims_.size(); a-- > 0;) {
      at_[a] = dims_[a] > 0 ? i % dims_[a] : 0;
      i = dims_[a] > 0 ? i / dims_[a] : 0;
      src_ += at_[a] * strides_[a];
    }
  }
  void step() const {
    for (size_t a = dims_.size(); a-- > 0;) {
      if (++at_[a] < dims_[a]) {
        src_ += strides_[a];
        return;
      }
      src_ -= (dims_[a] - 1) * strides_[a];
      at_[a] = 0;
    }
  }
  enum class Mode { kIdentity, kScalar, kStrided };
  Mode mode_ = Mode::kIdentity;
  SmallDims dims_, strides_;
  mutable SmallDims at_;  // the output index next_ as per-dim counters
  mutable int64_t next_ = 0;
  mutable int64_t src_ = 0;
};

// The shape input `b` takes for broadcasting. Opsets before 7 had explicit broadcasting:
// `broadcast=1` lets B match a contiguous run of A's dims starting at `axis` (default: the
// trailing dims), which is rewritten here as a numpy shape with 1s around B's dims.
Shape legacy_broadcast_shape(const KernelContext& ctx, const Shape& a, const Shape& b);
// The same without a copy: `b` itself, or the rewritten shape in `buf`.
std::span<const int64_t> legacy_broadcast_dims(const KernelContext& ctx, const Shape& a,
                                               const Shape& b, SmallDims& buf);

// Error(kInvalidModel) unless inputs i and j have the same dtype (type constraint "T").
void require_same_dtype(const KernelContext& ctx, size_t i, size_t j);

// ---- maps -----------------------------------------------------------------------------------

// y[i] = f(x[i]) with y of x's dtype (OutSel = void) or of dtype_of<OutSel>. f receives the
// compute type (float for 16-bit floats).
template <class OutSel, class Types, class F>
void unary_map(KernelContext& ctx, Types types, F f) {
  const Tensor& x = ctx.input(0);
  dispatch(types, x.dtype(), ctx.node(), [&](auto tag) {
    using T = decltype(tag);
    using O = std::conditional_t<std::is_void_v<OutSel>, T, OutSel>;
    Tensor& y = ctx.allocate_output(0, dtype_of<O>(), x.shape());
    const T* in = x.data<T>();
    O* out = y.data<O>();
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) out[i] = store<O>(f(load(in[i])));
  });
}

// y = f(a, b) elementwise over the numpy broadcast of inputs 0 and 1 (same dtype required).
// Output dtype as in unary_map.
template <class OutSel, class Types, class F>
void binary_map(KernelContext& ctx, Types types, F f) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  require_same_dtype(ctx, 0, 1);
  SmallDims legacy, out_shape;
  const std::span<const int64_t> b_shape = legacy_broadcast_dims(ctx, a.shape(), b.shape(), legacy);
  broadcast_dims({a.shape(), b_shape}, ctx.node(), out_shape);
  dispatch(types, a.dtype(), ctx.node(), [&](auto tag) {
    using T = decltype(tag);
    using O = std::conditional_t<std::is_void_v<OutSel>, T, OutSel>;
    Tensor& y = ctx.output_uninit(0, dtype_of<O>(), out_shape.span());
    const BroadcastIndex ia(a.shape(), out_shape.span());
    const BroadcastIndex ib(b_shape, out_shape.span());
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    O* out = y.data<O>();
    const int64_t n = y.numel();
    for (int64_t i = 0; i < n; ++i) out[i] = store<O>(f(load(pa[ia(i)]), load(pb[ib(i)])));
  });
}

// Folds all inputs (1 or more, same dtype, numpy-broadcast together) with `combine`, then
// applies `finish(acc)` (e.g. the division of Mean). Output has the inputs' dtype.
template <class Types, class Combine, class Finish>
void variadic_map(KernelContext& ctx, Types types, Combine combine, Finish finish) {
  const size_t count = ctx.num_inputs();
  if (count == 0 || !ctx.has_input(0)) {
    throw Error(ErrorCategory::kInvalidModel, fmt::format("{} node '{}': needs at least one input",
                                                          ctx.node().op_type, ctx.node().name));
  }
  std::vector<const Shape*> shapes;
  for (size_t k = 0; k < count; ++k) {
    require_same_dtype(ctx, 0, k);
    shapes.push_back(&ctx.input(k).shape());
  }
  const Shape out_shape = broadcast_shapes(shapes, ctx.node());
  dispatch(types, ctx.input(0).dtype(), ctx.node(), [&](auto tag) {
    using T = decltype(tag);
    using C = compute_t<T>;
    int64_t n = 1;
    for (const int64_t d : out_shape) n *= d;
    std::vector<C> acc(static_cast<size_t>(n));
    for (size_t k = 0; k < count; ++k) {
      const Tensor& x = ctx.input(k);
      const BroadcastIndex ix(x.shape(), out_shape);
      const T* px = x.data<T>();
      for (int64_t i = 0; i < n; ++i) {
        const C v = load(px[ix(i)]);
        acc[static_cast<size_t>(i)] = k == 0 ? v : combine(acc[static_cast<size_t>(i)], v);
      }
    }
    Tensor& y = ctx.allocate_output(0, dtype_of<T>(), out_shape);
    T* out = y.data<T>();
    for (int64_t i = 0; i < n; ++i) out[i] = store<T>(finish(acc[static_cast<size_t>(i)]));
  });
}

// ---- registration entry points, one per file ----------------------------------------------

void register_unary_math(KernelRegistry& registry);
void register_activations(KernelRegistry& registry);
void register_binary_arithmetic(KernelRegistry& registry);
void register_variadic(KernelRegistry& registry);
void register_comparison(KernelRegistry& registry);
void register_logical(KernelRegistry& registry);
void register_bitwise(KernelRegistry& registry);
void register_where(KernelRegistry& registry);
void register_clip(KernelRegistry& registry);
void register_cast(KernelRegistry& registry);

// Registers `fn` for `op_type` in the default domain from opset `since` on.
void add_kernel(KernelRegistry& registry, const char* op_type, int since, KernelFn fn);

}  // namespace bog::runtime::ref
