// Expand and Where for the cpu provider, allocation-free (shapes and strides on the stack):
// the attention masks torch builds (Expand of a causal table, Where(mask, scores, -inf)) run
// every call, so the reference kernels' index maps were a third of a LLaMA export's time.
#include <algorithm>
#include <cstring>

#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"

namespace bog::runtime::cpu {
namespace {

constexpr size_t kMaxRank = 8;

// Right-aligned element strides of `s` against an output of rank `rank` (0 where broadcast).
void strides_against(const Shape& s, size_t rank, int64_t* st) {
  std::fill(st, st + rank, 0);
  int64_t acc = 1;
  for (size_t i = 0; i < s.size(); ++i) {
    const int64_t d = s[s.size() - 1 - i];
    if (d != 1) st[rank - 1 - i] = acc;
    acc *= d;
  }
}

// Folds `s` into the broadcast shape `out` (rank `rank`); false when they do not broadcast.
bool broadcast_into(std::span<const int64_t> s, int64_t* out, size_t rank) {
  if (s.size() > rank) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    int64_t& o = out[rank - 1 - i];
    const int64_t d = s[s.size() - 1 - i];
    if (o == d || d == 1) continue;
    if (o != 1) return false;
    o = d;
  }
  return true;
}

// Walks the output in order, calling fn(out_index, offsets...) with each operand's offset.
template <size_t N, class F>
void walk(const int64_t* shape, size_t rank, const int64_t (&strides)[N][kMaxRank], F&& fn) {
  int64_t total = 1;
  for (size_t i = 0; i < rank; ++i) total *= shape[i];
  int64_t idx[kMaxRank] = {};
  int64_t off[N] = {};
  for (int64_t e = 0; e < total; ++e) {
    fn(e, off);
    for (size_t k = rank; k-- > 0;) {
      for (size_t j = 0; j < N; ++j) off[j] += strides[j][k];
      if (++idx[k] < shape[k]) break;
      for (size_t j = 0; j < N; ++j) off[j] -= strides[j][k] * shape[k];
      idx[k] = 0;
    }
  }
}

}  // namespace

KernelFn make_expand(KernelFn fallback) {
  return [fallback](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    const Tensor& spec = ctx.input(1);
    if (x.dtype() == DType::kString || spec.dtype() != DType::kInt64 || spec.rank() != 1) {
      return fallback(ctx);
    }
    const size_t rank = std::max<size_t>(x.shape().size(), static_cast<size_t>(spec.numel()));
    if (rank > kMaxRank) return fallback(ctx);
    int64_t shape[kMaxRank];
    std::fill(shape, shape + rank, 1);
    if (!broadcast_into(spec.span<int64_t>(), shape, rank) ||
        !broadcast_into(x.shape(), shape, rank)) {
      return fallback(ctx);  // reports the error
    }
    Tensor& out = ctx.output_uninit(0, x.dtype(), std::span<const int64_t>(shape, rank));
    if (out.numel() == 0) return;
    int64_t strides[1][kMaxRank];
    strides_against(x.shape(), rank, strides[0]);
    // The trailing axes the input covers contiguously (no broadcast) are copied as one run.
    size_t inner = rank;
    int64_t run = 1;
    while (inner > 0 && strides[0][inner - 1] == run && shape[inner - 1] != 1) {
      --inner;
      run *= shape[inner];
    }
    const size_t es = dtype_size(x.dtype());
    const size_t run_bytes = static_cast<size_t>(run) * es;
    const auto* src = static_cast<const std::byte*>(x.raw());
    auto* dst = static_cast<std::byte*>(out.raw());
    int64_t outer_shape[kMaxRank];
    std::copy(shape, shape + inner, outer_shape);
    int64_t outer_strides[1][kMaxRank];
    std::copy(strides[0], strides[0] + inner, outer_strides[0]);
    walk(outer_shape, inner, outer_strides, [&](int64_t e, const int64_t* off) {
      std::memcpy(dst + static_cast<size_t>(e) * run_bytes, src + static_cast<size_t>(off[0]) * es,
                  run_bytes);
    });
  };
}

KernelFn make_where(KernelFn fallback) {
  return [fallback](KernelContext& ctx) {
    const Tensor& c = ctx.input(0);
    const Tensor& a = ctx.input(1);
    const Tensor& b = ctx.input(2);
    if (c.dtype() != DType::kBool || a.dtype() != b.dtype() ||
        (a.dtype() != DType::kFloat32 && a.dtype() != DType::kInt64 && a.dtype() != DType::kInt32)) {
      return fallback(ctx);
    }
    const size_t rank = std::max({c.shape().size(), a.shape().size(), b.shape().size()});
    if (rank > kMaxRank) return fallback(ctx);
    int64_t shape[kMaxRank];
    std::fill(shape, shape + rank, 1);
    if (!broadcast_into(c.shape(), shape, rank) || !broadcast_into(a.shape(), shape, rank) ||
        !broadcast_into(b.shape(), shape, rank)) {
      return fallback(ctx);
    }
    Tensor& out = ctx.output_uninit(0, a.dtype(), std::span<const int64_t>(shape, rank));
    if (out.numel() == 0) return;
    int64_t strides[3][kMaxRank];
    strides_against(c.shape(), rank, strides[0]);
    strides_against(a.shape(), rank, strides[1]);
    strides_against(b.shape(), rank, strides[2]);
    const bool* pc = c.data<bool>();
    const size_t es = dtype_size(a.dtype());
    const auto* pa = static_cast<const std::byte*>(a.raw());
    const auto* pb = static_cast<const std::byte*>(b.raw());
    auto* po = static_cast<std::byte*>(out.raw());
    if (es == 4) {
      walk(shape, rank, strides, [&](int64_t e, const int64_t* off) {
        const std::byte* s = pc[off[0]] ? pa + off[1] * 4 : pb + off[2] * 4;
        std::memcpy(po + e * 4, s, 4);
      });
    } else {
      walk(shape, rank, strides, [&](int64_t e, const int64_t* off) {
        const std::byte* s = pc[off[0]] ? pa + off[1] * 8 : pb + off[2] * 8;
        std::memcpy(po + e * 8, s, 8);
      });
    }
  };
}

}  // namespace bog::runtime::cpu
