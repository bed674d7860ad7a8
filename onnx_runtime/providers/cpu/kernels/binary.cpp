// Add/Sub/Mul/Div for float32 under any numpy broadcast, walked as rows of a merged last axis
// so every inner loop is contiguous or a broadcast scalar (attention masks, biases, scales).
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

// Element strides of `s` aligned right against an output of rank `rank`: 0 along every axis the
// operand broadcasts (size 1 or missing).
std::vector<int64_t> aligned_strides(const Shape& s, size_t rank) {
  std::vector<int64_t> st(rank, 0);
  int64_t acc = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    const size_t from_end = i + 1;
    const int64_t d = s[s.size() - from_end];
    if (d != 1) st[rank - from_end] = acc;
    acc *= d;
  }
  return st;
}

template <BinaryOp op>
void row(const float* pa, int64_t sa, const float* pb, int64_t sb, float* po, int64_t w) {
  // The four inner forms, each a plain loop the compiler vectorises.
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < w; ++i) po[i] = apply<op>(pa[i], pb[i]);
  } else if (sa == 1 && sb == 0) {
    const float b = pb[0];
    for (int64_t i = 0; i < w; ++i) po[i] = apply<op>(pa[i], b);
  } else if (sa == 0 && sb == 1) {
    const float a = pa[0];
    for (int64_t i = 0; i < w; ++i) po[i] = apply<op>(a, pb[i]);
  } else {
    for (int64_t i = 0; i < w; ++i) po[i] = apply<op>(pa[i * sa], pb[i * sb]);
  }
}

// Any numpy broadcast: axes where both operands are contiguous together are merged, then the
// output is walked row by row (the merged last axis) with running offsets into a and b.
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
  if (out_shape.empty()) {
    po[0] = apply<op>(pa[0], pb[0]);
    return;
  }
  const std::vector<int64_t> sa_full = aligned_strides(a.shape(), out_shape.size());
  const std::vector<int64_t> sb_full = aligned_strides(b.shape(), out_shape.size());
  // Merge axis k into the axis after it while both operands stay contiguous across them.
  std::vector<int64_t> dims = {out_shape.back()}, sa = {sa_full.back()}, sb = {sb_full.back()};
  for (size_t k = out_shape.size() - 1; k-- > 0;) {
    const int64_t d = out_shape[k];
    if (d == 1) continue;
    if (sa_full[k] == sa.front() * dims.front() && sb_full[k] == sb.front() * dims.front()) {
      dims.front() *= d;
    } else {
      dims.insert(dims.begin(), d);
      sa.insert(sa.begin(), sa_full[k]);
      sb.insert(sb.begin(), sb_full[k]);
    }
  }
  const size_t rank = dims.size();
  const int64_t w = dims.back();
  std::vector<int64_t> idx(rank - 1, 0);
  int64_t oa = 0, ob = 0;
  for (int64_t r = 0, rows = n / w; r < rows; ++r) {
    row<op>(pa + oa, sa.back(), pb + ob, sb.back(), po + r * w, w);
    for (size_t k = rank - 1; k-- > 0;) {
      oa += sa[k];
      ob += sb[k];
      if (++idx[k] < dims[k]) break;
      oa -= sa[k] * dims[k];
      ob -= sb[k] * dims[k];
      idx[k] = 0;
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
