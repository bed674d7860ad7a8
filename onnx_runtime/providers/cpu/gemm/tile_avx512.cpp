// AVX-512 micro-kernel: an 8 x 32 tile in 16 zmm accumulators. Per k step: two panel loads,
// eight broadcasts of A, sixteen FMAs (FMA-bound on cores with two 512-bit FMA pipes).
#include "onnx_runtime/providers/cpu/gemm/micro_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace bog::runtime::cpu {
namespace {

template <int R>
__attribute__((target("avx512f"))) void tile(int64_t k, const float* a, int64_t lda,
                                             const float* panel, float* c, int64_t ldc,
                                             int64_t cols, const float* bias) {
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
  for (int64_t kk = 0; kk < k; ++kk) {
    const __m512 b0 = _mm512_load_ps(panel + kk * 32);
    const __m512 b1 = _mm512_load_ps(panel + kk * 32 + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(a[r * lda + kk]);
      acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
    }
  }
  if (cols == 32) {
    for (int r = 0; r < R; ++r) {
      _mm512_storeu_ps(c + r * ldc, acc0[r]);
      _mm512_storeu_ps(c + r * ldc + 16, acc1[r]);
    }
  } else {
    for (int r = 0; r < R; ++r) {
      _mm512_mask_storeu_ps(c + r * ldc, m0, acc0[r]);
      _mm512_mask_storeu_ps(c + r * ldc + 16, m1, acc1[r]);
    }
  }
}

}  // namespace

void tile_avx512(int64_t rows, int64_t k, const float* a, int64_t lda, const float* panel, float* c,
                 int64_t ldc, int64_t cols, const float* bias) {
  switch (rows) {
    case 8:
      return tile<8>(k, a, lda, panel, c, ldc, cols, bias);
    case 7:
      return tile<7>(k, a, lda, panel, c, ldc, cols, bias);
    case 6:
      return tile<6>(k, a, lda, panel, c, ldc, cols, bias);
    case 5:
      return tile<5>(k, a, lda, panel, c, ldc, cols, bias);
    case 4:
      return tile<4>(k, a, lda, panel, c, ldc, cols, bias);
    case 3:
      return tile<3>(k, a, lda, panel, c, ldc, cols, bias);
    case 2:
      return tile<2>(k, a, lda, panel, c, ldc, cols, bias);
    default:
      return tile<1>(k, a, lda, panel, c, ldc, cols, bias);
  }
}

}  // namespace bog::runtime::cpu

#else

namespace bog::runtime::cpu {
void tile_avx512(int64_t rows, int64_t k, const float* a, int64_t lda, const float* panel, float* c,
                 int64_t ldc, int64_t cols, const float* bias) {
  tile_portable(rows, k, a, lda, panel, c, ldc, cols, bias);  // never selected off x86
}
}  // namespace bog::runtime::cpu

#endif
