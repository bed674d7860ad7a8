// AVX2 + FMA micro-kernel: a 6 x 16 tile in 12 ymm accumulators (of 16 registers).
#include "onnx_runtime/providers/cpu/gemm/micro_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace bog::runtime::cpu {
namespace {

template <int R>
__attribute__((target("avx2,fma"))) void tile(int64_t k, const float* a, int64_t lda,
                                              const float* panel, float* c, int64_t ldc,
                                              int64_t cols, const float* bias) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(cols)), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(cols) - 8), lane);
  __m256 init0 = _mm256_setzero_ps();
  __m256 init1 = _mm256_setzero_ps();
  if (bias != nullptr) {
    init0 = _mm256_maskload_ps(bias, m0);
    init1 = _mm256_maskload_ps(bias + 8, m1);
  }
  __m256 acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) {
    acc0[r] = init0;
    acc1[r] = init1;
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const __m256 b0 = _mm256_load_ps(panel + kk * 16);
    const __m256 b1 = _mm256_load_ps(panel + kk * 16 + 8);
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * lda + kk);
      acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    if (cols == 16) {
      _mm256_storeu_ps(c + r * ldc, acc0[r]);
      _mm256_storeu_ps(c + r * ldc + 8, acc1[r]);
    } else {
      _mm256_maskstore_ps(c + r * ldc, m0, acc0[r]);
      _mm256_maskstore_ps(c + r * ldc + 8, m1, acc1[r]);
    }
  }
}

}  // namespace

void tile_avx2(int64_t rows, int64_t k, const float* a, int64_t lda, const float* panel, float* c,
               int64_t ldc, int64_t cols, const float* bias) {
  switch (rows) {
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
void tile_avx2(int64_t rows, int64_t k, const float* a, int64_t lda, const float* panel, float* c,
               int64_t ldc, int64_t cols, const float* bias) {
  tile_portable(rows, k, a, lda, panel, c, ldc, cols, bias);  // never selected off x86
}
}  // namespace bog::runtime::cpu

#endif
