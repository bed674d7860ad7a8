// The decode-step product of MatMulNBits bits=4 (com.microsoft; the GGUF Q4_0 idea): y = a . W
// four rows of a at a time, reading each packed 4-bit block of W once and dequantizing it in
// registers — 16 bytes become 32 floats times the block's scale, never stored — so a decode
// step streams the 4-bit file rather than a float copy of it. AVX-512; callers check
// nbits4_gemv_supported() and keep the panel kernel otherwise.
#pragma once

#include <cstdint>
#include <vector>

namespace bog::runtime::cpu {

struct Nbits4Weight {
  int64_t k = 0, n = 0, block = 0, k_blocks = 0;
  const uint8_t* codes = nullptr;        // [n, k_blocks, block / 2], two codes a byte, low first
  const float* scales = nullptr;         // [n, k_blocks]
  const uint8_t* zero_points = nullptr;  // [n, ceil(k_blocks / 2)] 4-bit, or null: 8
  const float* bias = nullptr;           // [n] or null
};

// True on AVX-512 for blocks of 32, 64 or 128 and K, N > 0.
bool nbits4_gemv_supported(const Nbits4Weight& w);

// Rows of a ([rows, k]) in the order the kernel reads them: per block, the even
// positions then the odd ones (a byte's low and high code), zero past K; then each row's sum
// per block (the zero points' term). `out` is resized.
void nbits4_prepare_rows(const Nbits4Weight& w, const float* a, int64_t rows,
                         std::vector<float>& out);

// y[r][c] for rows [row, row + count) (count <= 4) of `rows` prepared ones and columns
// [c_begin, c_end); y is [rows, w.n].
void nbits4_gemv(const Nbits4Weight& w, const float* prepared, int64_t rows, int64_t row,
                 int64_t count, int64_t c_begin, int64_t c_end, float* y);

}  // namespace bog::runtime::cpu
