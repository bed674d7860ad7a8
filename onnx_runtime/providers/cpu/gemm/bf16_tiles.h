// bf16 GEMM kernels (bf16_gemm.h gives the packed layout): one output block, C[rows, cols] =
// bias + A[rows, Kp] · panel, A already rounded to bf16 and padded with zeros to Kp columns
// (row stride lda values) and, for AMX, to whole 16-row halves. cols <= 32.
#pragma once

#include <cstdint>

namespace bog::runtime::cpu {

inline constexpr int64_t kAmxRows = 32, kDpbf16Rows = 8, kBf16Cols = 32;

// rows <= 32. Loads this thread's tile configuration on first use.
void block_amx_bf16(int64_t rows, int64_t kblocks, const uint16_t* a, int64_t lda,
                    const uint16_t* panel, float* c, int64_t ldc, int64_t cols, const float* bias);
// rows <= 8.
void tile_dpbf16(int64_t rows, int64_t kblocks, const uint16_t* a, int64_t lda,
                 const uint16_t* panel, float* c, int64_t ldc, int64_t cols, const float* bias);
// Vectorised round_to_bf16 (AVX-512); returns false where the CPU lacks it.
bool round_to_bf16_avx512(const float* src, uint16_t* dst, int64_t n);

}  // namespace bog::runtime::cpu
