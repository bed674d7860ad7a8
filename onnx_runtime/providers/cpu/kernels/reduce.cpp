// ReduceSum / ReduceMean for float32 over one contiguous run of axes (pooling, norms written
// out by exporters), in float with vectorised row sums; other forms take the reference kernel.
#include <Eigen/Core>
#include <algorithm>

#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"

namespace bog::runtime::cpu {
namespace {

constexpr size_t kMaxRank = 8;

// The reduced axes as a mask; false when they cannot be read without allocating or are invalid.
bool reduce_axes(const KernelContext& ctx, size_t rank, bool* mask) {
  const Node& node = ctx.node();
  const bool axes_input = (node.op_type == "ReduceSum" && node.opset >= 13) ||
                          (node.op_type == "ReduceMean" && node.opset >= 18);
  std::fill(mask, mask + rank, false);
  const int64_t* axes = nullptr;
  size_t count = 0;
  const Attribute* attr = nullptr;
  if (axes_input) {
    if (ctx.has_input(1)) {
      const Tensor& a = ctx.input(1);
      if (a.dtype() != DType::kInt64) return false;
      axes = a.data<int64_t>();
      count = static_cast<size_t>(a.numel());
    }
  } else if ((attr = node.attr("axes")) != nullptr) {
    axes = attr->ints.data();
    count = attr->ints.size();
  }
  if (count == 0) {
    if (node.attr_int("noop_with_empty_axes", 0) != 0) return false;
    std::fill(mask, mask + rank, true);
    return true;
  }
  for (size_t i = 0; i < count; ++i) {
    int64_t a = axes[i];
    if (a < 0) a += static_cast<int64_t>(rank);
    if (a < 0 || a >= static_cast<int64_t>(rank)) return false;
    mask[a] = true;
  }
  return true;
}

}  // namespace

KernelFn make_reduce(KernelFn fallback) {
  return [fallback](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    const size_t rank = x.shape().size();
    bool mask[kMaxRank];
    if (x.dtype() != DType::kFloat32 || rank == 0 || rank > kMaxRank || x.numel() == 0 ||
        !reduce_axes(ctx, rank, mask)) {
      return fallback(ctx);
    }
    size_t first = rank, last = 0;
    for (size_t a = 0; a < rank; ++a) {
      if (mask[a]) {
        first = std::min(first, a);
        last = a;
      }
    }
    for (size_t a = first; a <= last; ++a) {
      if (!mask[a]) return fallback(ctx);  // not one contiguous run of axes
    }
    const bool keepdims = ctx.node().attr_int("keepdims", 1) != 0;
    int64_t shape[kMaxRank];
    size_t out_rank = 0;
    int64_t outer = 1, red = 1, inner = 1;
    for (size_t a = 0; a < rank; ++a) {
      const int64_t d = x.shape()[a];
      if (a < first) outer *= d;
      if (mask[a]) red *= d;
      if (a > last) inner *= d;
      if (!mask[a]) {
        shape[out_rank++] = d;
      } else if (keepdims) {
        shape[out_rank++] = 1;
      }
    }
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, std::span<const int64_t>(shape, out_rank));
    const float factor = ctx.node().op_type == "ReduceMean" ? 1.0f / static_cast<float>(red) : 1.0f;
    const float* px = x.data<float>();
    float* po = out.data<float>();
    for (int64_t o = 0; o < outer; ++o) {
      const float* xo = px + o * red * inner;
      if (inner == 1) {
        po[o] = Eigen::Map<const Eigen::ArrayXf>(xo, red).sum() * factor;
        continue;
      }
      Eigen::Map<Eigen::ArrayXf> acc(po + o * inner, inner);
      acc = Eigen::Map<const Eigen::ArrayXf>(xo, inner);
      for (int64_t r = 1; r < red; ++r) acc += Eigen::Map<const Eigen::ArrayXf>(xo + r * inner, inner);
      if (factor != 1.0f) acc *= factor;
    }
  };
}

}  // namespace bog::runtime::cpu
