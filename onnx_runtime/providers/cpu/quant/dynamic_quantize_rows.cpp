// The arithmetic of dynamic_quantize_rows.h. The AVX-512 paths give the scalar loops' results
// bit for bit (the tests compare them on every ISA path).
#include "onnx_runtime/providers/cpu/quant/dynamic_quantize_rows.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "onnx_runtime/providers/cpu/lane_reduction.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define BOG_DQMM_X86 1
#endif

namespace bog::runtime::cpu {
namespace {

void quantize_row_scalar(const float* x, int64_t k, float scale, float zp, uint8_t* out) {
  for (int64_t i = 0; i < k; ++i) {
    const float q = std::nearbyint(x[i] / scale) + zp;
    out[i] = static_cast<uint8_t>(std::clamp(q, 0.0f, 255.0f));
  }
}

#if BOG_DQMM_X86
// The scalar loop's result, 16 lanes at a time, without its division in the common case.
// x / scale is needed only to the nearest integer (round half to even): x * (1 / scale) differs
// from the correctly rounded quotient by under 2^-14 while |x / scale| <= 512 (two roundings of
// 2^-24 relative each, |q| <= 255 by the choice of scale), so wherever the product is more than
// 2^-10 away from a half-integer both round to the same integer. Lanes closer than that, or out
// of range (inf, NaN), are recomputed with vdivps, which is correctly rounded like the scalar
// division; roundscale(0) is round-half-to-even like nearbyint in the default mode. The result is
// the scalar loop's, bit for bit (the tests compare them on every ISA path).
__attribute__((target("avx512f"))) void quantize_row_avx512(const float* x, int64_t k, float scale,
                                                            float zp, uint8_t* out) {
  const float inv = 1.0f / scale;
  const bool use_inv = std::isnormal(scale) && std::isnormal(inv);
  const __m512 vs = _mm512_set1_ps(scale);
  const __m512 vi = _mm512_set1_ps(inv);
  const __m512 vz = _mm512_set1_ps(zp);
  const __m512 lo = _mm512_setzero_ps();
  const __m512 hi = _mm512_set1_ps(255.0f);
  const __m512 safe_frac = _mm512_set1_ps(0.5f - 1.0f / 1024.0f);
  const __m512 safe_mag = _mm512_set1_ps(512.0f);
  constexpr int kNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m512 xv = _mm512_loadu_ps(x + i);
    __m512 t;
    if (use_inv) {
      t = _mm512_mul_ps(xv, vi);
      const __m512 dist = _mm512_abs_ps(_mm512_sub_ps(t, _mm512_roundscale_ps(t, kNearest)));
      // Not (dist < safe_frac and |t| < safe_mag): near a tie, or inf/NaN (unordered: true).
      const __mmask16 redo = _mm512_cmp_ps_mask(dist, safe_frac, _CMP_NLT_UQ) |
                             _mm512_cmp_ps_mask(_mm512_abs_ps(t), safe_mag, _CMP_NLT_UQ);
      if (redo) t = _mm512_mask_div_ps(t, redo, xv, vs);
    } else {
      t = _mm512_div_ps(xv, vs);
    }
    __m512 q = _mm512_roundscale_ps(t, kNearest);
    q = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(q, vz), lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm512_cvtusepi32_epi8(_mm512_cvtps_epi32(q)));
  }
  quantize_row_scalar(x + i, k - i, scale, zp, out + i);
}

// Lane-wise min/max over whole 16-float groups (the caller does the tail).
__attribute__((target("avx512f"))) void min_max_avx512(const float* x, int64_t n, float* mn,
                                                       float* mx) {
  __m512 lo = _mm512_setzero_ps();
  __m512 hi = _mm512_setzero_ps();
  for (int64_t i = 0; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    lo = _mm512_min_ps(v, lo);
    hi = _mm512_max_ps(v, hi);
  }
  // Lane by lane (GCC 12's _mm512_reduce_min_ps trips -Wuninitialized in its own header).
  alignas(64) float l[16], h[16];
  _mm512_store_ps(l, lo);
  _mm512_store_ps(h, hi);
  for (int i = 0; i < 16; ++i) {
    *mn = std::min(*mn, l[i]);
    *mx = std::max(*mx, h[i]);
  }
}
#endif

// min(0, x...) and max(0, x...) as the reference's std::min/std::max loop: a NaN is skipped
// (the comparison is false), which _mm512_min_ps(x, acc) does too.
MinMax min_max_range(const float* x, int64_t n, bool avx512) {
  float mn = 0.0f, mx = 0.0f;
  int64_t i = 0;
#if BOG_DQMM_X86
  if (avx512) {
    min_max_avx512(x, n, &mn, &mx);
    i = n / 16 * 16;
  }
#else
  (void)avx512;
#endif
  for (; i < n; ++i) {
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
  }
  return {mn, mx};
}

}  // namespace

MinMax dql_min_max(const float* x, int64_t n, bool avx512, ThreadPool* pool) {
  constexpr int64_t kParallelFloats = 1 << 17;
  if (pool == nullptr || pool->threads() < 2 || n < kParallelFloats) {
    return min_max_range(x, n, avx512);
  }
  const int64_t parts = pool->threads();
  const int64_t per = (n + parts - 1) / parts;
  MinMax part[64];
  pool->parallel_for(std::min<int64_t>(parts, 64), [&](int64_t t) {
    const int64_t b = std::min(n, t * per);
    part[t] = min_max_range(x + b, std::min(n, b + per) - b, avx512);
  });
  MinMax r;
  for (int64_t t = 0; t < std::min<int64_t>(parts, 64); ++t) {
    r.mn = std::min(r.mn, part[t].mn);
    r.mx = std::max(r.mx, part[t].mx);
  }
  return r;
}

DqlParams dql_params(MinMax r) {
  DqlParams p;
  p.scale = (r.mx - r.mn) / 255.0f;
  p.zero_point = p.scale == 0.0f ? 0.0f : std::clamp(std::nearbyint(-r.mn / p.scale), 0.0f, 255.0f);
  return p;
}

DqlParams dql_batch_params(const float* x, int64_t n, bool avx512, ThreadPool* pool,
                           const LaneLink* lane) {
  MinMax r = dql_min_max(x, n, avx512, pool);
  if (lane != nullptr && lane->reduction != nullptr)
    lane->reduction->min_max(&r.mn, &r.mx, lane->lane);
  return dql_params(r);
}

void dql_quantize_row(const float* x, int64_t k, const DqlParams& p, uint8_t* out, bool avx512) {
  if (p.scale == 0.0f) {
    std::memset(out, 0, static_cast<size_t>(k));
    return;
  }
#if BOG_DQMM_X86
  if (avx512) return quantize_row_avx512(x, k, p.scale, p.zero_point, out);
#else
  (void)avx512;
#endif
  quantize_row_scalar(x, k, p.scale, p.zero_point, out);
}

}  // namespace bog::runtime::cpu
