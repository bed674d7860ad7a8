// AVX512_BF16 kernel: an 8 x 32 tile in 16 zmm accumulators. Per k pair: two panel loads (16
// columns x 2 k each), eight broadcasts of an A pair, sixteen vdpbf16ps (each two multiply-adds
// per fp32 lane, accumulated in fp32). Also the vectorised fp32 -> bf16 rounding.
#include "onnx_runtime/providers/cpu/gemm/bf16_tiles.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

namespace bog::runtime::cpu {
namespace {

template <int R>
__attribute__((target("avx512f,avx512bf16"))) void tile(int64_t kblocks, const uint16_t* a,
                                                        int64_t lda, const uint16_t* panel,
                                                        float* c, int64_t ldc, int64_t cols,
                                                        const float* bias) {
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1u);
  const __mmask16 m1 = cols >= 32   ? __mmask16(0xFFFF)
                       : cols <= 16 ? __mmask16(0)
                                    : __mmask16((1u << (cols - 16)) - 1u);
  __m512 init0 = _mm512_setzero_ps();
  __m512 init1 = _mm512_setzero_ps();
  if (bias != nullptr) {
    init0 = _mm512_maskz_loadu_ps(m0, bias);
    init1 = _mm512_maskz_loadu_ps(m1, bias + 16);
  }
  __m512 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) {
    acc0[r] = init0;
    acc1[r] = init1;
  }
  for (int64_t kb = 0; kb < kblocks; ++kb) {
    const uint16_t* p = panel + kb * 1024;
    const uint16_t* ak = a + kb * 32;
    for (int q = 0; q < 16; ++q) {
      const __m512bh b0 = (__m512bh)_mm512_load_si512(p + q * 32);
      const __m512bh b1 = (__m512bh)_mm512_load_si512(p + 512 + q * 32);
      for (int r = 0; r < R; ++r) {
        int32_t pair;
        std::memcpy(&pair, ak + r * lda + 2 * q, sizeof pair);
        const __m512bh av = (__m512bh)_mm512_set1_epi32(pair);
        acc0[r] = _mm512_dpbf16_ps(acc0[r], av, b0);
        acc1[r] = _mm512_dpbf16_ps(acc1[r], av, b1);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, acc0[r]);
    _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc1[r]);
  }
}

__attribute__((target("avx512f,avx512bw"))) void round_avx512(const float* src, uint16_t* dst,
                                                              int64_t n) {
  const __m512i abs_mask = _mm512_set1_epi32(0x7FFFFFFF);
  const __m512i inf = _mm512_set1_epi32(0x7F800000);
  const __m512i bias = _mm512_set1_epi32(0x7FFF);
  const __m512i one = _mm512_set1_epi32(1);
  const __m512i quiet = _mm512_set1_epi32(0x00400000);
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t len = n - i < 16 ? n - i : 16;
    const __mmask16 m = len == 16 ? __mmask16(0xFFFF) : __mmask16((1u << len) - 1u);
    const __m512i x = _mm512_maskz_loadu_epi32(m, src + i);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(x, abs_mask), inf);
    __m512i r = _mm512_add_epi32(
        x, _mm512_add_epi32(bias, _mm512_and_si512(_mm512_srli_epi32(x, 16), one)));
    r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(x, quiet));
    _mm512_mask_cvtepi32_storeu_epi16(dst + i, m, _mm512_srli_epi32(r, 16));
  }
}

}  // namespace

void tile_dpbf16(int64_t rows, int64_t kblocks, const uint16_t* a, int64_t lda,
                 const uint16_t* panel, float* c, int64_t ldc, int64_t cols, const float* bias) {
  switch (rows) {
    case 8:
      return tile<8>(kblocks, a, lda, panel, c, ldc, cols, bias);
    case 7:
      return tile<7>(kblocks, a, lda, panel, c, ldc, cols, bias);
    case 6:
      return tile<6>(kblocks, a, lda, panel, c, ldc, cols, bias);
    case 5:
      return tile<5>(kblocks, a, lda, panel, c, ldc, cols, bias);
    case 4:
      return tile<4>(kblocks, a, lda, panel, c, ldc, cols, bias);
    case 3:
      return tile<3>(kblocks, a, lda, panel, c, ldc, cols, bias);
    case 2:
      return tile<2>(kblocks, a, lda, panel, c, ldc, cols, bias);
    default:
      return tile<1>(kblocks, a, lda, panel, c, ldc, cols, bias);
  }
}

bool round_to_bf16_avx512(const float* src, uint16_t* dst, int64_t n) {
  __builtin_cpu_init();
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  if (!ok) return false;
  round_avx512(src, dst, n);
  return true;
}

}  // namespace bog::runtime::cpu

#else

namespace bog::runtime::cpu {
void tile_dpbf16(int64_t, int64_t, const uint16_t*, int64_t, const uint16_t*, float*, int64_t,
                 int64_t, const float*) {}  // never selected off x86
bool round_to_bf16_avx512(const float*, uint16_t*, int64_t) { return false; }
}  // namespace bog::runtime::cpu

#endif
