#include "onnx_runtime/providers/cpu/quant/nbits_gemv.h"

#include <immintrin.h>

#include <algorithm>

namespace bog::runtime::cpu {
namespace {

// GCC 12's AVX-512 horizontal reductions and casts read an "undefined" vector that its own
// -Wuninitialized flags once inlined into a target("avx512f") function.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"

int zero_point(const NbitsWeight& w, int64_t c, int64_t kb) {
  if (w.zero_points == nullptr) return 1 << (w.bits - 1);
  if (w.bits == 8) return w.zero_points[c * w.k_blocks + kb];
  const int64_t row = (w.k_blocks + 1) / 2;
  const uint8_t byte = w.zero_points[c * row + kb / 2];
  return (kb & 1) != 0 ? byte >> 4 : byte & 0xF;
}

// sum_kb scale[kb] * zero_point[kb] * block_sum[kb] for one column: the zero points' share of
// the product, taken out of the inner loop (which multiplies the raw codes).
__attribute__((target("avx512f"))) float zero_point_term(const NbitsWeight& w, int64_t c,
                                                         const float* block_sums) {
  const float* sc = w.scales + c * w.k_blocks;
  if (w.zero_points == nullptr) {
    __m512 acc = _mm512_setzero_ps();
    int64_t kb = 0;
    for (; kb + 16 <= w.k_blocks; kb += 16)
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(sc + kb), _mm512_loadu_ps(block_sums + kb), acc);
    if (kb < w.k_blocks) {
      const __mmask16 m = static_cast<__mmask16>((1u << (w.k_blocks - kb)) - 1);
      acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, sc + kb),
                            _mm512_maskz_loadu_ps(m, block_sums + kb), acc);
    }
    return static_cast<float>(1 << (w.bits - 1)) * _mm512_reduce_add_ps(acc);
  }
  float t = 0;
  for (int64_t kb = 0; kb < w.k_blocks; ++kb)
    t += sc[kb] * static_cast<float>(zero_point(w, c, kb)) * block_sums[kb];
  return t;
}

// C columns at a time so that the FMA chains of different columns overlap; R rows share every
// dequantized block; PER 32-code pieces per block (block 32, 64, 128), fixed at compile time so
// the inner loop has no trip count to test. Per 32 codes: one 16-byte load and two nibble masks
// (4 bits) or two 16-byte loads (8 bits), two widenings to float, and per row a multiply-add
// pair (the block's scale applied once to its partial sum).
template <int R, int C, int PER, int BITS>
__attribute__((target("avx512f,avx512bw"))) void column_group(const NbitsWeight& w, const float* a,
                                                              const float* sums, int64_t c,
                                                              float* y) {
  const int64_t kp = w.k_blocks * w.block;  // a prepared row's length
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  const uint8_t* codes[C];
  const float* scales[C];
  for (int j = 0; j < C; ++j) {
    codes[j] = w.codes + (c + j) * w.k_blocks * PER * BITS * 4;
    scales[j] = w.scales + (c + j) * w.k_blocks;
  }
  __m512 acc[C][R];
  for (int j = 0; j < C; ++j) {
    for (int r = 0; r < R; ++r) acc[j][r] = _mm512_setzero_ps();
  }
  for (int64_t kb = 0; kb < w.k_blocks; ++kb) {
    const float* ab = a + kb * PER * 32;
    for (int j = 0; j < C; ++j) {
      __m512 part[R];
      for (int t = 0; t < PER; ++t) {
        const uint8_t* piece = codes[j] + (kb * PER + t) * BITS * 4;
        __m512 lo, hi;
        if constexpr (BITS == 4) {
          const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(piece));
          lo = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(packed, low_mask)));
          hi = _mm512_cvtepi32_ps(
              _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(packed, 4), low_mask)));
        } else {
          lo = _mm512_cvtepi32_ps(
              _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(piece))));
          hi = _mm512_cvtepi32_ps(
              _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(piece + 16))));
        }
        for (int r = 0; r < R; ++r) {
          const float* ar = ab + r * kp + t * 32;  // 4 bits: even positions, then the odd ones
          part[r] = t == 0 ? _mm512_mul_ps(lo, _mm512_loadu_ps(ar))
                           : _mm512_fmadd_ps(lo, _mm512_loadu_ps(ar), part[r]);
          part[r] = _mm512_fmadd_ps(hi, _mm512_loadu_ps(ar + 16), part[r]);
        }
      }
      const __m512 scale = _mm512_set1_ps(scales[j][kb]);
      for (int r = 0; r < R; ++r) acc[j][r] = _mm512_fmadd_ps(part[r], scale, acc[j][r]);
    }
  }
  for (int j = 0; j < C; ++j) {
    const float b = w.bias != nullptr ? w.bias[c + j] : 0.0f;
    for (int r = 0; r < R; ++r) {
      y[r * w.n + c + j] =
          _mm512_reduce_add_ps(acc[j][r]) - zero_point_term(w, c + j, sums + r * w.k_blocks) + b;
    }
  }
}

template <int R, int PER, int BITS>
void columns(const NbitsWeight& w, const float* a, const float* sums, int64_t c_begin,
             int64_t c_end, float* y) {
  int64_t c = c_begin;
  for (; c + 4 <= c_end; c += 4) column_group<R, 4, PER, BITS>(w, a, sums, c, y);
  for (; c < c_end; ++c) column_group<R, 1, PER, BITS>(w, a, sums, c, y);
}

template <int R, int BITS>
void columns(const NbitsWeight& w, const float* a, const float* sums, int64_t c_begin,
             int64_t c_end, float* y) {
  switch (w.block) {
    case 32:
      return columns<R, 1, BITS>(w, a, sums, c_begin, c_end, y);
    case 64:
      return columns<R, 2, BITS>(w, a, sums, c_begin, c_end, y);
    default:
      return columns<R, 4, BITS>(w, a, sums, c_begin, c_end, y);
  }
}

template <int R>
void columns(const NbitsWeight& w, const float* a, const float* sums, int64_t c_begin,
             int64_t c_end, float* y) {
  if (w.bits == 8) return columns<R, 8>(w, a, sums, c_begin, c_end, y);
  return columns<R, 4>(w, a, sums, c_begin, c_end, y);
}

#pragma GCC diagnostic pop

}  // namespace

bool nbits_gemv_supported(const NbitsWeight& w) {
  static const bool isa = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return isa && (w.bits == 4 || w.bits == 8) && w.k > 0 && w.n > 0 &&
         (w.block == 32 || w.block == 64 || w.block == 128);
}

void nbits_prepare_rows(const NbitsWeight& w, const float* a, int64_t rows,
                        std::vector<float>& out) {
  const int64_t kp = w.k_blocks * w.block;
  out.assign(static_cast<size_t>(rows * (kp + w.k_blocks)), 0.0f);
  float* sums = out.data() + rows * kp;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < w.k; ++i) sums[r * w.k_blocks + i / w.block] += a[r * w.k + i];
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* o = out.data() + r * kp;
    const float* ar = a + r * w.k;
    if (w.bits == 8) {  // one code a byte: the row as it is
      std::copy(ar, ar + w.k, o);
      continue;
    }
    // Within each 32 codes (16 bytes): byte i holds codes 2i (low) and 2i+1 (high).
    for (int64_t base = 0; base < kp; base += 32) {
      for (int64_t i = 0; i < 16; ++i) {
        const int64_t even = base + 2 * i, odd = even + 1;
        o[base + i] = even < w.k ? ar[even] : 0.0f;
        o[base + 16 + i] = odd < w.k ? ar[odd] : 0.0f;
      }
    }
  }
}

void nbits_gemv(const NbitsWeight& w, const float* prepared, int64_t rows, int64_t row,
                int64_t count, int64_t c_begin, int64_t c_end, float* y) {
  const float* a = prepared + row * w.k_blocks * w.block;
  const float* sums = prepared + rows * w.k_blocks * w.block + row * w.k_blocks;
  float* yr = y + row * w.n;
  switch (count) {
    case 1:
      return columns<1>(w, a, sums, c_begin, c_end, yr);
    case 2:
      return columns<2>(w, a, sums, c_begin, c_end, yr);
    case 3:
      return columns<3>(w, a, sums, c_begin, c_end, yr);
    default:
      return columns<4>(w, a, sums, c_begin, c_end, yr);
  }
}

}  // namespace bog::runtime::cpu
