// The decode-step product of MatMulNBits bits=4 or 8 (com.microsoft; the GGUF Q4_0 / Q8_0 idea):
// y = a . W four rows of a at a time, reading each packed block of W once and dequantizing it in
// registers — 16 (or 32) bytes become 32 floats times the block's scale, never stored — so a
// decode step streams the quantized file rather than a float copy of it. AVX-512; callers check
// nbits_gemv_supported() and keep the panel kernel otherwise.
#pragma once

#include <cstdint>
#include <vector>

namespace bog::runtime::cpu {

struct NbitsWeight {
  int64_t k = 0, n = 0, block = 0, k_blocks = 0;
  int bits = 4;                          // 4 or 8
  const uint8_t* codes = nullptr;        // [n, k_blocks, block * bits / 8]; 4 bits: low first
  const float* scales = nullptr;         // [n, k_blocks]
  const uint8_t* zero_points = nullptr;  // [n, ceil(k_blocks * bits / 8)], or null: 2^(bits-1)
  const float* bias = nullptr;           // [n] or null
};

// True on AVX-512 for 4 or 8 bits, blocks of 32, 64 or 128 and K, N > 0.
bool nbits_gemv_supported(const NbitsWeight& w);

// Rows of a ([rows, k]) in the order the kernel reads them, zero past K (4 bits: per 32
// positions the even ones, then the odd ones: a byte's low and high code); then each row's sum
// per block (the zero points' term). `out` is resized.
void nbits_prepare_rows(const NbitsWeight& w, const float* a, int64_t rows,
                        std::vector<float>& out);

// y[r][c] for rows [row, row + count) (count <= 4) of `rows` prepared ones and columns
// [c_begin, c_end); y is [rows, w.n].
void nbits_gemv(const NbitsWeight& w, const float* prepared, int64_t rows, int64_t row,
                int64_t count, int64_t c_begin, int64_t c_end, float* y);

}  // namespace bog::runtime::cpu
