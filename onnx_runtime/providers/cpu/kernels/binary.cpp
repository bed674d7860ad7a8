// Add/Sub/Mul/Div for float32 under any numpy broadcast, walked as rows of a merged last axis
// so every inner loop is contiguous or a broadcast scalar (attention masks, biases, scales).
#include <fmt/format.h>

#include <algorithm>

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

constexpr size_t kMaxRank = 8;  // deeper broadcasts take the reference kernel

// Element strides of `s` aligned right against an output of rank `rank`: 0 along every axis the
// operand broadcasts (size 1 or missing).
void aligned_strides(const Shape& s, size_t rank, int64_t* st) {
  std::fill(st, st + rank, 0);
  int64_t acc = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    const size_t from_end = i + 1;
    const int64_t d = s[s.size() - from_end];
    if (d != 1) st[rank - from_end] = acc;
    acc *= d;
  }
}

// numpy broadcast of two shapes into `out`; false when they do not broadcast.
bool broadcast(const Shape& a, const Shape& b, int64_t* out, size_t rank) {
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1) return false;
    out[rank - 1 - i] = da == 1 ? db : da;
  }
  return true;
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
void run(KernelContext& ctx, const KernelFn& fallback) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const size_t out_rank = std::max(a.shape().size(), b.shape().size());
  int64_t out_shape[kMaxRank];
  // Allocation-free: shapes and strides live on the stack (the memory plan's zero-allocation
  // runs go through here for masks, residuals and pooling).
  if (out_rank > kMaxRank || !broadcast(a.shape(), b.shape(), out_shape, out_rank)) {
    return fallback(ctx);  // reports the broadcast error, or handles the deep shape
  }
  Tensor& out = ctx.output_uninit(0, DType::kFloat32, std::span<const int64_t>(out_shape, out_rank));
  const int64_t n = out.numel();
  if (n == 0) return;
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out.data<float>();
  if (out_rank == 0) {
    po[0] = apply<op>(pa[0], pb[0]);
    return;
  }
  int64_t sa_full[kMaxRank], sb_full[kMaxRank];
  aligned_strides(a.shape(), out_rank, sa_full);
  aligned_strides(b.shape(), out_rank, sb_full);
  // Merge axis k into the axis after it while both operands stay contiguous across them.
  // Merged axes are kept outermost-first at the end of the arrays.
  int64_t dims[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  size_t first = kMaxRank - 1;
  dims[first] = out_shape[out_rank - 1];
  sa[first] = sa_full[out_rank - 1];
  sb[first] = sb_full[out_rank - 1];
  for (size_t k = out_rank - 1; k-- > 0;) {
    const int64_t d = out_shape[k];
    if (d == 1) continue;
    if (sa_full[k] == sa[first] * dims[first] && sb_full[k] == sb[first] * dims[first]) {
      dims[first] *= d;
    } else {
      --first;
      dims[first] = d;
      sa[first] = sa_full[k];
      sb[first] = sb_full[k];
    }
  }
  const size_t last = kMaxRank - 1;
  const int64_t w = dims[last];
  int64_t idx[kMaxRank] = {};
  int64_t oa = 0, ob = 0;
  for (int64_t r = 0, rows = n / w; r < rows; ++r) {
    row<op>(pa + oa, sa[last], pb + ob, sb[last], po + r * w, w);
    for (size_t k = last; k-- > first;) {
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
  void (*fn)(KernelContext&, const KernelFn&) = nullptr;
  if (op_type == "Add") fn = run<BinaryOp::kAdd>;
  if (op_type == "Sub") fn = run<BinaryOp::kSub>;
  if (op_type == "Mul") fn = run<BinaryOp::kMul>;
  if (op_type == "Div") fn = run<BinaryOp::kDiv>;
  return [fn, fallback](KernelContext& ctx) {
    if (fn == nullptr || !all_float32(ctx)) return fallback(ctx);
    fn(ctx, fallback);
  };
}

}  // namespace bog::runtime::cpu
