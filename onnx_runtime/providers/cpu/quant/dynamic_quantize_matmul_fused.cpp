// DynamicQuantizeMatMul: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul in one kernel,
// with FusedMatMul's epilogue (bias, activation, SwiGLU multiplier, residual) when the
// fuse_matmul pass gave it one. The activation is quantized row block by row block straight
// into the GEMM's A buffer (K padded to 4 with zeros), so the uint8 tensor never exists whole;
// the int32 tile is requantized to float and the epilogue applied while the block is hot.
// Rounding follows the reference DynamicQuantizeLinear exactly (x / scale, round half to even,
// + zero point, clamp), and the epilogue does the float ops it replaces in the same order, so
// the output is bit-identical to the composition (SiLU/GELU: the fused activation kernels').
// Row blocks run on the session's thread pool, like every other cpu kernel: an OpenMP team
// spinning beside the pool's workers would take the cores they need.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/lane_reduction.h"
#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define BOG_DQMM_X86 1
#endif

namespace bog::runtime::cpu {
namespace {

constexpr int64_t kRowBlock = 64;

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

struct MinMax {
  float mn = 0.0f;
  float mx = 0.0f;
};

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

MinMax min_max(const float* x, int64_t n, bool avx512, ThreadPool* pool) {
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

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("{} node '{}': {}", node.op_type, node.name, what));
}

// A per-tensor or per-column quantization parameter as N values.
template <typename T>
std::vector<T> per_column(const Node& node, const Tensor& t, int64_t n, const char* what) {
  if (t.numel() != 1 && !(t.rank() == 1 && t.dim(0) == n)) {
    bad(node, fmt::format("{} must be a scalar or [{}]", what, n));
  }
  std::vector<T> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = t.data<T>()[t.numel() == 1 ? 0 : i];
  return v;
}

// What the constant weight side gives every run: the packed W and its per-column parameters,
// made at the first run and kept while W, W_scale and W_zero_point stay the same tensors.
struct WeightSide {
  const void* w = nullptr;
  const void* w_scale = nullptr;
  const void* w_zp = nullptr;
  PackedB8 packed;
  std::vector<float> scale;  // W_scale per column
  std::vector<int8_t> zp;    // W_zero_point per column
  bool any_zp = false;
};

const WeightSide& weight_side(KernelContext& ctx, WeightSide& side) {
  const Node& node = ctx.node();
  const Tensor& w = ctx.input(1);
  const Tensor& ws = ctx.input(kDqmmWScale);
  const Tensor* wz = ctx.has_input(kDqmmWZeroPoint) ? &ctx.input(kDqmmWZeroPoint) : nullptr;
  if (side.w == w.raw() && side.w_scale == ws.raw() && side.w_zp == (wz ? wz->raw() : nullptr) &&
      side.packed.k == w.dim(0) && side.packed.n == w.dim(1)) {
    return side;
  }
  const int64_t n = w.dim(1);
  if (ws.dtype() != DType::kFloat32) bad(node, "W_scale must be float32");
  side.scale = per_column<float>(node, ws, n, "W_scale");
  side.zp.assign(static_cast<size_t>(n), 0);
  if (wz != nullptr) {
    if (wz->dtype() != DType::kInt8) bad(node, "W_zero_point must be int8");
    side.zp = per_column<int8_t>(node, *wz, n, "W_zero_point");
  }
  side.any_zp = std::any_of(side.zp.begin(), side.zp.end(), [](int8_t z) { return z != 0; });
  side.packed = pack_b8(w.data<int8_t>(), w.dim(0), n);
  side.w = w.raw();
  side.w_scale = ws.raw();
  side.w_zp = wz ? wz->raw() : nullptr;
  return side;
}

// Per-thread buffers, grown once and reused run after run (no allocation per run).
struct Scratch {
  std::vector<uint8_t> a;
  std::vector<int32_t> c;
};
Scratch& thread_scratch() {
  thread_local Scratch s;
  return s;
}

// Per-run parameters (they depend on X's scale), kept so that a steady run allocates nothing.
struct RunParams {
  std::vector<float> scale;
  std::vector<int32_t> col_term;
};

}  // namespace

KernelFn make_dynamic_quantize_matmul(const Node& node, std::shared_ptr<ThreadPool> pool,
                                      Int8Isa isa, std::shared_ptr<const LaneLink> lane) {
  auto side_cache = std::make_shared<WeightSide>();
  auto params = std::make_shared<RunParams>();
  const Activation act = parse_activation(node.attr_string("activation", ""));
  return [pool, isa, side_cache, params, act, lane](KernelContext& ctx) {
    const Node& node = ctx.node();
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    if (x.dtype() != DType::kFloat32 || w.dtype() != DType::kInt8 || w.rank() != 2) {
      bad(node, "want float32 X and a 2-D int8 W");
    }
    const int64_t k = w.dim(0);
    const int64_t n = w.dim(1);
    if (x.rank() < 1 || x.dim(x.rank() - 1) != k) {
      bad(node, fmt::format("X of shape {} does not end in K = {}", shape_to_string(x.shape()), k));
    }
    if (!ctx.has_input(kDqmmWScale)) bad(node, "W_scale missing");
    const WeightSide& side = weight_side(ctx, *side_cache);
    const PackedB8* packed = &side.packed;
    const bool any_w_zp = side.any_zp;
    RunParams& p = *params;

    const int64_t m = k == 0 ? 0 : x.numel() / k;
    int64_t out_dims[8];
    if (x.rank() > 8) bad(node, "X has rank above 8");
    std::copy(x.shape().begin(), x.shape().end(), out_dims);
    out_dims[x.rank() - 1] = n;
    const std::span<const int64_t> out_shape(out_dims, static_cast<size_t>(x.rank()));
    bool residual_later = false;
    const Epilogue ep = fused_epilogue(ctx, act, out_shape, &residual_later);
    const bool post =
        ep.activation != Activation::kNone || ep.residual != nullptr || ep.multiplier != nullptr;
    Tensor& y = ctx.output_uninit(0, DType::kFloat32, out_shape);
    if (m == 0 || n == 0) return;

    // DynamicQuantizeLinear's parameters, computed exactly as its reference kernel does.
    const bool avx512 = isa == Int8Isa::kAvx512Vnni;
    MinMax r = min_max(x.data<float>(), x.numel(), avx512, pool.get());
    if (lane != nullptr && lane->reduction != nullptr) lane->reduction->min_max(&r.mn, &r.mx);
    const float x_scale = (r.mx - r.mn) / 255.0f;
    const float zp_f =
        x_scale == 0.0f ? 0.0f : std::clamp(std::nearbyint(-r.mn / x_scale), 0.0f, 255.0f);
    const int32_t x_zp = static_cast<int32_t>(zp_f);
    p.scale.resize(static_cast<size_t>(n));
    p.col_term.resize(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) {
      const size_t cu = static_cast<size_t>(c);
      p.scale[cu] = x_scale * side.scale[cu];
      // -x_zp * sum_k W + K * x_zp * w_zp: the terms of (a - a_zp)(b - b_zp) that do not depend
      // on the row.
      p.col_term[cu] = -x_zp * packed->col_sums[cu] + static_cast<int32_t>(k) * x_zp * side.zp[cu];
    }

    const float* xv = x.data<float>();
    float* yv = y.data<float>();
    const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
    const int64_t lda = packed->k4;
    auto block = [&](int64_t blk) {
      Scratch& s = thread_scratch();
      if (s.a.size() < static_cast<size_t>(kRowBlock * lda)) s.a.resize(kRowBlock * lda);
      if (s.c.size() < static_cast<size_t>(kRowBlock * n)) s.c.resize(kRowBlock * n);
      const int64_t r0 = blk * kRowBlock;
      const int64_t rows = std::min(kRowBlock, m - r0);
      for (int64_t i = 0; i < rows; ++i) {
        uint8_t* dst = s.a.data() + i * lda;
        const float* src = xv + (r0 + i) * k;
        if (x_scale == 0.0f) {
          std::memset(dst, 0, static_cast<size_t>(k));
        } else {
#if BOG_DQMM_X86
          if (avx512) {
            quantize_row_avx512(src, k, x_scale, zp_f, dst);
          } else {
            quantize_row_scalar(src, k, x_scale, zp_f, dst);
          }
#else
          quantize_row_scalar(src, k, x_scale, zp_f, dst);
#endif
        }
        std::memset(dst + k, 0, static_cast<size_t>(lda - k));  // the GEMM reads K padded to 4
      }
      if (!any_w_zp) {
        // Requantized in registers, with as much of the epilogue as the tile can take.
        // Without an activation the whole epilogue fits in the tile; with one, it runs between
        // the bias and the multiplier, per strip.
        Int8Requant rq{p.col_term.data(), p.scale.data(), ep.bias};
        const bool in_tile = ep.activation == Activation::kNone;
        if (in_tile && ep.multiplier != nullptr) {
          rq.multiplier = ep.multiplier + r0 * ep.ldm;
          rq.ldm = ep.ldm;
        }
        if (in_tile && ep.residual != nullptr) {
          rq.residual = ep.residual + r0 * ep.ldr;
          rq.ldr = ep.ldr;
        }
        struct Rows {
          const Epilogue* ep;
          float* y;
          int64_t n, r0, r1;
        } rows_ctx{&ep, yv, n, r0, r0 + rows};
        StripDone strip;
        if (post && !in_tile) {
          strip.ctx = &rows_ctx;
          strip.fn = [](void* c, int64_t c0, int64_t c1) {
            const Rows& q = *static_cast<const Rows*>(c);
            apply_epilogue_after_bias(*q.ep, q.y, q.n, q.r0, q.r1, c0, c1 - c0);
          };
        }
        if (gemm_u8s8_requant(isa, s.a.data(), lda, rows, *packed, rq, yv + r0 * n, n, strip)) {
          return;
        }
      }
      gemm_u8s8(isa, s.a.data(), lda, rows, *packed, s.c.data(), n);
      const float* bias = ep.bias;
      for (int64_t i = 0; i < rows; ++i) {
        int32_t row_sum = 0;
        if (any_w_zp) {
          for (int64_t j = 0; j < k; ++j) row_sum += s.a[static_cast<size_t>(i * lda + j)];
        }
        const int32_t* ci = s.c.data() + i * n;
        float* yi = yv + (r0 + i) * n;
        const int32_t* col_term = p.col_term.data();
        const float* scale = p.scale.data();
        if (any_w_zp) {
          for (int64_t c = 0; c < n; ++c) {
            const int32_t acc = ci[c] + col_term[c] - side.zp[static_cast<size_t>(c)] * row_sum;
            yi[c] = static_cast<float>(acc) * scale[c];
          }
        } else {
          for (int64_t c = 0; c < n; ++c) {
            yi[c] = static_cast<float>(ci[c] + col_term[c]) * scale[c];
          }
        }
        if (bias != nullptr) {
          for (int64_t c = 0; c < n; ++c) yi[c] += bias[c];
        }
      }
      if (post) apply_epilogue_after_bias(ep, yv, n, r0, r0 + rows, 0, n);
    };
    // Below ~25 µs of work, waking a worker costs more than it saves.
    if (blocks > 1 && m * n * k >= (int64_t{1} << 22)) {
      pool->parallel_for(blocks, block);
    } else {
      for (int64_t blk = 0; blk < blocks; ++blk) block(blk);
    }
    if (residual_later) add_residual_broadcast(node, ctx.input(kFusedResidual), y);
  };
}

}  // namespace bog::runtime::cpu
