// DynamicQuantizeMatMul: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul in one kernel.
// The activation is quantized row block by row block straight into the GEMM's A buffer (K padded
// to 4 with zeros), so the uint8 tensor never exists whole; the int32 tile is requantized to
// float while hot. Rounding follows the reference DynamicQuantizeLinear exactly (x / scale, round
// half to even, + zero point, clamp), so the output is bit-identical to the composition.
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"

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
// Same arithmetic as the scalar loop, 16 lanes at a time: vdivps is correctly rounded like the
// scalar division, and roundscale(0) is round-half-to-even like nearbyint in the default mode.
__attribute__((target("avx512f"))) void quantize_row_avx512(const float* x, int64_t k, float scale,
                                                            float zp, uint8_t* out) {
  const __m512 vs = _mm512_set1_ps(scale);
  const __m512 vz = _mm512_set1_ps(zp);
  const __m512 lo = _mm512_setzero_ps();
  const __m512 hi = _mm512_set1_ps(255.0f);
  int64_t i = 0;
  for (; i + 16 <= k; i += 16) {
    __m512 q = _mm512_roundscale_ps(_mm512_div_ps(_mm512_loadu_ps(x + i), vs),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(q, vz), lo), hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm512_cvtusepi32_epi8(_mm512_cvtps_epi32(q)));
  }
  quantize_row_scalar(x + i, k - i, scale, zp, out + i);
}
#endif

struct MinMax {
  float mn = 0.0f;
  float mx = 0.0f;
};

MinMax min_max(const float* x, int64_t n, int threads) {
  MinMax r;
  float mn = 0.0f, mx = 0.0f;
#pragma omp parallel for num_threads(threads) reduction(min                   \
                                                        : mn) reduction(max   \
                                                                        : mx) \
    schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) {
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
  }
  r.mn = mn;
  r.mx = mx;
  return r;
}

// The packed weight, made on first use and kept while the initializer stays the same tensor.
struct PackCache {
  std::mutex mu;
  const void* key = nullptr;
  int64_t k = 0, n = 0;
  std::shared_ptr<const PackedB8> packed;

  std::shared_ptr<const PackedB8> get(const Tensor& w) {
    std::lock_guard<std::mutex> lock(mu);
    if (packed && key == w.raw() && k == w.dim(0) && n == w.dim(1)) return packed;
    packed = std::make_shared<const PackedB8>(pack_b8(w.data<int8_t>(), w.dim(0), w.dim(1)));
    key = w.raw();
    k = w.dim(0);
    n = w.dim(1);
    return packed;
  }
};

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

}  // namespace

KernelFn make_dynamic_quantize_matmul(int threads, Int8Isa isa) {
  auto cache = std::make_shared<PackCache>();
  return [threads, isa, cache](KernelContext& ctx) {
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
    if (ctx.input(2).dtype() != DType::kFloat32) bad(node, "W_scale must be float32");
    const std::vector<float> w_scale = per_column<float>(node, ctx.input(2), n, "W_scale");
    std::vector<int8_t> w_zp(static_cast<size_t>(n), 0);
    if (ctx.has_input(3)) {
      if (ctx.input(3).dtype() != DType::kInt8) bad(node, "W_zero_point must be int8");
      w_zp = per_column<int8_t>(node, ctx.input(3), n, "W_zero_point");
    }
    const bool any_w_zp = std::any_of(w_zp.begin(), w_zp.end(), [](int8_t z) { return z != 0; });
    const std::shared_ptr<const PackedB8> packed = cache->get(w);

    const int64_t m = k == 0 ? 0 : x.numel() / k;
    Shape out_shape = x.shape();
    out_shape.back() = n;
    Tensor& y = ctx.allocate_output(0, DType::kFloat32, out_shape);
    if (m == 0 || n == 0) return;

    // DynamicQuantizeLinear's parameters, computed exactly as its reference kernel does.
    const MinMax r = min_max(x.data<float>(), x.numel(), threads);
    const float x_scale = (r.mx - r.mn) / 255.0f;
    const float zp_f =
        x_scale == 0.0f ? 0.0f : std::clamp(std::nearbyint(-r.mn / x_scale), 0.0f, 255.0f);
    const int32_t x_zp = static_cast<int32_t>(zp_f);
    std::vector<float> scale(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c)
      scale[static_cast<size_t>(c)] = x_scale * w_scale[static_cast<size_t>(c)];
    // Per column: -x_zp * sum_k W + K * x_zp * w_zp (the terms of (a - a_zp)(b - b_zp) that do
    // not depend on the row).
    std::vector<int32_t> col_term(static_cast<size_t>(n));
    for (int64_t c = 0; c < n; ++c) {
      col_term[static_cast<size_t>(c)] =
          -x_zp * packed->col_sums[static_cast<size_t>(c)] +
          static_cast<int32_t>(k) * x_zp * w_zp[static_cast<size_t>(c)];
    }

    const float* xv = x.data<float>();
    float* yv = y.data<float>();
    const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
    const int64_t lda = packed->k4;
#pragma omp parallel num_threads(threads) if (blocks > 1)
    {
      std::vector<uint8_t> abuf(static_cast<size_t>(kRowBlock * lda), 0);
      std::vector<int32_t> cbuf(static_cast<size_t>(kRowBlock * n));
#pragma omp for schedule(static)
      for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t r0 = blk * kRowBlock;
        const int64_t rows = std::min(kRowBlock, m - r0);
        for (int64_t i = 0; i < rows; ++i) {
          uint8_t* dst = abuf.data() + i * lda;
          const float* src = xv + (r0 + i) * k;
          if (x_scale == 0.0f) {
            std::memset(dst, 0, static_cast<size_t>(k));
          } else {
#if BOG_DQMM_X86
            if (isa == Int8Isa::kAvx512Vnni) {
              quantize_row_avx512(src, k, x_scale, zp_f, dst);
            } else {
              quantize_row_scalar(src, k, x_scale, zp_f, dst);
            }
#else
            quantize_row_scalar(src, k, x_scale, zp_f, dst);
#endif
          }
        }
        gemm_u8s8(isa, abuf.data(), lda, rows, *packed, cbuf.data(), n);
        for (int64_t i = 0; i < rows; ++i) {
          int32_t row_sum = 0;
          if (any_w_zp) {
            for (int64_t j = 0; j < k; ++j) row_sum += abuf[static_cast<size_t>(i * lda + j)];
          }
          const int32_t* ci = cbuf.data() + i * n;
          float* yi = yv + (r0 + i) * n;
          for (int64_t c = 0; c < n; ++c) {
            const int32_t acc = ci[c] + col_term[static_cast<size_t>(c)] -
                                (any_w_zp ? w_zp[static_cast<size_t>(c)] * row_sum : 0);
            yi[c] = static_cast<float>(acc) * scale[static_cast<size_t>(c)];
          }
        }
      }
    }
  };
}

}  // namespace bog::runtime::cpu
