// Add/Sub/Mul/Div for float32 with fast paths for the shapes transformer graphs produce:
// equal shapes, a scalar operand, and a trailing-row operand (bias over the last dims).
#include <fmt/format.h>

#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::cpu {
namespace {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };

template <BinaryOp op>
inline float apply(float a, float b) {
  if constexpr (op == BinaryOp::kAdd) return a + b;
  if constexpr (op == BinaryOp::kSub) return a - b;
  if constexpr (op == BinaryOp::kMul) return a * b;
  return a / b;
}

// True when `small` equals the last small.size() dims of `big` (so it repeats every row).
bool is_trailing(const Shape& small, const Shape& big) {
  if (small.size() > big.size()) return false;
  size_t lead = 0;  // leading 1s in `small` do not matter
  while (lead < small.size() && small[lead] == 1) ++lead;
  for (size_t i = lead; i < small.size(); ++i) {
    if (small[i] != big[big.size() - small.size() + i]) return false;
  }
  return true;
}

template <BinaryOp op>
void run(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const Shape out_shape = ref::broadcast_shapes({&a.shape(), &b.shape()}, ctx.node());
  Tensor& out = ctx.allocate_output(0, DType::kFloat32, out_shape);
  const int64_t n = out.numel();
  if (n == 0) return;
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out.data<float>();
  if (a.numel() == n && b.numel() == n) {
    for (int64_t i = 0; i < n; ++i) po[i] = apply<op>(pa[i], pb[i]);
  } else if (b.numel() == 1 && a.numel() == n) {
    const float s = pb[0];
    for (int64_t i = 0; i < n; ++i) po[i] = apply<op>(pa[i], s);
  } else if (a.numel() == 1 && b.numel() == n) {
    const float s = pa[0];
    for (int64_t i = 0; i < n; ++i) po[i] = apply<op>(s, pb[i]);
  } else if (a.numel() == n && is_trailing(b.shape(), out_shape)) {
    const int64_t w = b.numel();
    for (int64_t i = 0; i < n; ++i) po[i] = apply<op>(pa[i], pb[i % w]);
  } else if (b.numel() == n && is_trailing(a.shape(), out_shape)) {
    const int64_t w = a.numel();
    for (int64_t i = 0; i < n; ++i) po[i] = apply<op>(pa[i % w], pb[i]);
  } else {
    const std::vector<int64_t> ia = ref::broadcast_index_map(a.shape(), out_shape);
    const std::vector<int64_t> ib = ref::broadcast_index_map(b.shape(), out_shape);
    for (int64_t i = 0; i < n; ++i) {
      po[i] = apply<op>(pa[ia[static_cast<size_t>(i)]], pb[ib[static_cast<size_t>(i)]]);
    }
  }
}

}  // namespace

KernelFn make_binary(const std::string& op_type, KernelFn fallback) {
  void (*fn)(KernelContext&) = nullptr;
  if (op_type == "Add") fn = run<BinaryOp::kAdd>;
  if (op_type == "Sub") fn = run<BinaryOp::kSub>;
  if (op_type == "Mul") fn = run<BinaryOp::kMul>;
  if (op_type == "Div") fn = run<BinaryOp::kDiv>;
  return [fn, fallback](KernelContext& ctx) {
    if (fn == nullptr || !all_float32(ctx)) return fallback(ctx);
    fn(ctx);
  };
}

}  // namespace bog::runtime::cpu
