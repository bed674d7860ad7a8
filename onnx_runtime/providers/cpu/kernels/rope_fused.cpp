// Rope (domain bog.cpu): rotary embedding in the rotate-half layout, the fuse_rope pass's
//   X * cos + Concat(-X[..., D/2:], X[..., :D/2]) * sin
// in one pass over X. Inputs: x [..., T, D] (D even), cos and sin broadcasting to x ([T, D],
// [1, 1, T, D], [B, 1, T, D], ...), then the two Slices' starts and ends (checked to split D in
// halves). Attribute axis: the slices' axis (-1, or the rank - 1 of x). Seven nodes and four
// temporaries become one read and one write.
#include <fmt/format.h>

#include <algorithm>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "common/error.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {
namespace {

// One row: y = x * cos + rotate_half(x) * sin. (The loop over both halves with x and y possibly
// overlapping compiled to scalar code: ~60 cycles a 24-float row.)
void rotate_half_row(const float* __restrict x, const float* __restrict c,
                     const float* __restrict s, float* __restrict y, int64_t half) {
  int64_t i = 0;
#if defined(__AVX512F__)
  // Masked 16-float blocks: a head of 24 (half 12) is one block, not 8 + 4 scalar.
  for (; i < half; i += 16) {
    const __mmask16 m = first_lanes16(half - i);
    const __m512 lo = _mm512_maskz_loadu_ps(m, x + i);
    const __m512 hi = _mm512_maskz_loadu_ps(m, x + i + half);
    _mm512_mask_storeu_ps(y + i, m,
                          _mm512_fmsub_ps(lo, _mm512_maskz_loadu_ps(m, c + i),
                                          _mm512_mul_ps(hi, _mm512_maskz_loadu_ps(m, s + i))));
    _mm512_mask_storeu_ps(
        y + i + half, m,
        _mm512_fmadd_ps(hi, _mm512_maskz_loadu_ps(m, c + i + half),
                        _mm512_mul_ps(lo, _mm512_maskz_loadu_ps(m, s + i + half))));
  }
#endif
  for (; i < half; ++i) {
    const float lo = x[i], hi = x[i + half];
    y[i] = lo * c[i] - hi * s[i];
    y[i + half] = hi * c[i + half] + lo * s[i + half];
  }
}

}  // namespace

KernelFn make_rope_fused(std::shared_ptr<ThreadPool> pool) {
  return [pool](KernelContext& ctx) {
    const Node& node = ctx.node();
    const Tensor& x = ctx.input(0);
    const Tensor& cos = ctx.input(1);
    const Tensor& sin = ctx.input(2);
    if (x.dtype() != DType::kFloat32 || cos.dtype() != DType::kFloat32 ||
        sin.dtype() != DType::kFloat32 || x.rank() < 2 || x.shape().back() % 2 != 0) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Rope node '{}': expects float32 x [..., T, D] with even D and "
                              "float32 tables",
                              node.name));
    }
    const int64_t d = x.shape().back();
    const size_t rank = x.shape().size();
    // Table row strides per leading axis of x (0 where the table broadcasts): [T, D],
    // [1, 1, T, D] and per-batch [B, 1, T, D] tables all work.
    int64_t cos_stride[8] = {}, sin_stride[8] = {};
    const auto table_strides = [&](const Tensor& tab, int64_t* st) {
      if (tab.rank() < 1 || static_cast<size_t>(tab.rank()) > rank || rank > 8 ||
          tab.shape().back() != d) {
        return false;
      }
      int64_t acc = 1;
      for (size_t i = 1; i < static_cast<size_t>(tab.rank()); ++i) {
        const size_t ti = static_cast<size_t>(tab.rank()) - 1 - i;
        const size_t xi = rank - 1 - i;
        const int64_t dim = tab.shape()[ti];
        if (dim != 1 && dim != x.shape()[xi]) return false;
        st[xi] = dim == 1 ? 0 : acc;
        acc *= dim;
      }
      return true;
    };
    if (!table_strides(cos, cos_stride) || !table_strides(sin, sin_stride)) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Rope node '{}': tables {} / {} do not broadcast to {}", node.name,
                              shape_to_string(cos.shape()), shape_to_string(sin.shape()),
                              shape_to_string(x.shape())));
    }
    const int64_t half = d / 2;
    const int64_t axis = node.attr_int("axis", -1);
    bool halves = axis == -1 || axis == x.rank() - 1;
    // Slice bounds clamp to [0, D] (INT64_MAX is "to the end").
    const auto bound = [&](size_t i, int64_t* v) {
      if (!ctx.has_input(i)) return false;
      const Tensor& b = ctx.input(i);
      if (b.numel() != 1 || (b.dtype() != DType::kInt64 && b.dtype() != DType::kInt32))
        return false;
      int64_t raw = b.dtype() == DType::kInt64 ? b.data<int64_t>()[0] : b.data<int32_t>()[0];
      if (raw < 0) raw += d;
      *v = std::clamp<int64_t>(raw, 0, d);
      return true;
    };
    if (ctx.num_inputs() > 3) {
      int64_t s1 = 0, e1 = 0, s2 = 0, e2 = 0;
      halves = halves && bound(3, &s1) && bound(4, &e1) && bound(5, &s2) && bound(6, &e2) &&
               s1 == 0 && e1 == half && s2 == half && e2 == d;
    }
    if (!halves) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Rope node '{}': the slices do not split the last axis of {} in "
                              "halves",
                              node.name, shape_to_string(x.shape())));
    }
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, x.shape());
    const int64_t rows = d == 0 ? 0 : x.numel() / d;
    const float* px = x.data<float>();
    const float* pc = cos.data<float>();
    const float* ps = sin.data<float>();
    float* po = out.data<float>();
    // Rows [r_begin, r_end): the table offsets of the first row come from its index.
    const auto rope_rows = [&](int64_t r_begin, int64_t r_end) {
      int64_t idx[8] = {};
      int64_t oc = 0, os = 0;  // row offsets into the tables
      int64_t rest = r_begin;
      for (size_t k = rank - 1; k-- > 0;) {
        idx[k] = rest % x.shape()[k];
        rest /= x.shape()[k];
        oc += idx[k] * cos_stride[k];
        os += idx[k] * sin_stride[k];
      }
      for (int64_t r = r_begin; r < r_end; ++r) {
        rotate_half_row(px + r * d, pc + oc * d, ps + os * d, po + r * d, half);
        for (size_t k = rank - 1; k-- > 0;) {
          oc += cos_stride[k];
          os += sin_stride[k];
          if (++idx[k] < x.shape()[k]) break;
          oc -= cos_stride[k] * x.shape()[k];
          os -= sin_stride[k] * x.shape()[k];
          idx[k] = 0;
        }
      }
    };
    parallel_ranges(pool.get(), rows,
                    std::max<int64_t>(1, kMinParallelFloats / std::max<int64_t>(d, 1)), rope_rows);
  };
}

}  // namespace bog::runtime::cpu
