// GEMM micro-kernels: one output tile, C[rows, cols] = bias + A[rows, K] · panel[K, width].
// A is read in place (row stride lda); the panel is packed (pack_b). rows <= the kernel's
// height, cols <= its width; columns beyond cols are computed but never stored.
#pragma once

#include <cstdint>

namespace bog::runtime::cpu {

inline constexpr int64_t kAvx512Rows = 8, kAvx512Cols = 32;
inline constexpr int64_t kAvx2Rows = 6, kAvx2Cols = 16;
inline constexpr int64_t kPortableRows = 4, kPortableCols = 16;

void tile_avx512(int64_t rows, int64_t k, const float* a, int64_t lda, const float* panel, float* c,
                 int64_t ldc, int64_t cols, const float* bias);
void tile_avx2(int64_t rows, int64_t k, const float* a, int64_t lda, const float* panel, float* c,
               int64_t ldc, int64_t cols, const float* bias);
void tile_portable(int64_t rows, int64_t k, const float* a, int64_t lda, const float* panel,
                   float* c, int64_t ldc, int64_t cols, const float* bias);

}  // namespace bog::runtime::cpu
