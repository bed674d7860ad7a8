// The int8 GEMM paths. Micro-kernels compute an 8-row x 32-column (VNNI) or 2 x 16 (AVX2) tile
// of int32 sums over the packed B panels; edges run the same kernels on fewer rows and store only
// the valid columns (the padded B columns are zero, so the extra lanes are never wrong, just
// discarded).
#include "onnx_runtime/providers/cpu/quant/int8_gemm.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define BOG_INT8_X86 1
#endif

namespace bog::runtime::cpu {

Int8Isa best_int8_isa() {
#if BOG_INT8_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw")) {
    return Int8Isa::kAvx512Vnni;
  }
  if (__builtin_cpu_supports("avx2")) return Int8Isa::kAvx2;
#endif
  return Int8Isa::kScalar;
}

std::string int8_isa_name(Int8Isa isa) {
  switch (isa) {
    case Int8Isa::kAvx512Vnni:
      return "avx512-vnni";
    case Int8Isa::kAvx2:
      return "avx2";
    default:
      return "scalar";
  }
}

PackedB8 pack_b8(const int8_t* b, int64_t k, int64_t n) {
  PackedB8 p;
  p.k = k;
  p.n = n;
  p.k4 = (k + 3) / 4 * 4;
  p.panels = (n + 15) / 16;
  p.data.assign(static_cast<size_t>(p.panels * p.k4 * 16), 0);
  p.col_sums.assign(static_cast<size_t>(p.panels * 16), 0);
  for (int64_t kk = 0; kk < k; ++kk) {
    for (int64_t c = 0; c < n; ++c) {
      const int8_t v = b[kk * n + c];
      const int64_t panel = c / 16;
      p.data[static_cast<size_t>(((panel * (p.k4 / 4) + kk / 4) * 16 + c % 16) * 4 + kk % 4)] = v;
      p.col_sums[static_cast<size_t>(c)] += v;
    }
  }
  return p;
}

namespace {

void gemm_scalar(const uint8_t* a, int64_t lda, int64_t m, const PackedB8& b, int32_t* c,
                 int64_t ldc) {
  const int64_t groups = b.k4 / 4;
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t col = 0; col < b.n; ++col) {
      const int8_t* panel = b.data.data() + (col / 16) * groups * 64;
      int32_t acc = 0;
      for (int64_t g = 0; g < groups; ++g) {
        for (int j = 0; j < 4; ++j) {
          acc += static_cast<int32_t>(a[r * lda + g * 4 + j]) * panel[(g * 16 + col % 16) * 4 + j];
        }
      }
      c[r * ldc + col] = acc;
    }
  }
}

#if BOG_INT8_X86

// 4 bytes of A as one int32 lane pattern (unaligned, no strict-aliasing cast).
inline int32_t load4(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// acc += u8 a x s8 b, in place. GCC 12 treats _mm512_dpbusd_epi32 as producing a new register
// and copies every accumulator around each call (and spills the 8-row tile's 16 of them); the
// asm ties the accumulator to its register, as the instruction itself does.
__attribute__((target("avx512f,avx512vnni"))) inline __m512i dpbusd(__m512i acc, __m512i a,
                                                                    __m512i b) {
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
  return acc;
}

// One 16-column vector of a requantized tile row: float(acc + t) * s, + bias, * multiplier,
// + residual, stored to y under `mask` (row: the row in the caller's [m, n], c: the column).
// mul and add are separate intrinsics on purpose (see the build's -ffp-contract=off for this
// file): a fused multiply-add would round once, the graph twice. A function with the target
// attribute, not a lambda: a lambda inside a target("avx512...") function does not inherit it,
// and a baseline-ISA build (-fsanitize, no -march) fails there.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) inline void requant_store(
    const Int8Requant& rq, __m512i acc, __m512i t, __m512 s, __m512 bias, int64_t row, int64_t c,
    __mmask16 mask, float* y) {  // y: the vector's place
  // The masked convert: GCC 12 flags the plain one's undefined source as uninitialized here.
  const __m512 as_float =
      _mm512_mask_cvtepi32_ps(_mm512_setzero_ps(), mask, _mm512_add_epi32(acc, t));
  __m512 f = _mm512_mul_ps(as_float, s);
  if (rq.bias != nullptr) f = _mm512_add_ps(f, bias);
  if (rq.multiplier != nullptr) {
    f = _mm512_mul_ps(f, _mm512_maskz_loadu_ps(mask, rq.multiplier + row * rq.ldm + c));
  }
  if (rq.residual != nullptr) {
    f = _mm512_add_ps(f, _mm512_maskz_loadu_ps(mask, rq.residual + row * rq.ldr + c));
  }
  _mm512_mask_storeu_ps(y, mask, f);
}

// Where a tile's sums go: int32 C (gemm_u8s8), or requantized into float Y (gemm_u8s8_requant).
struct TileOut {
  int32_t* c = nullptr;  // int32 sums, row stride ldc
  int64_t ldc = 0;
  const Int8Requant* rq = nullptr;  // else requantized into y, row stride ldy
  float* y = nullptr;
  int64_t ldy = 0;
};

// kRows rows x 32 columns (panels p0 and p1; p1 null for a last panel of 16) over `groups` groups
// of 4 k. Rows [row0, row0 + kRows) of the caller's output, columns [col0, col0 + cols).
template <int kRows>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void tile_vnni(
    const uint8_t* a, int64_t lda, const int8_t* p0, const int8_t* p1, int64_t groups, int64_t row0,
    int64_t col0, int64_t cols, const TileOut& out) {
  __m512i acc0[kRows], acc1[kRows];
  for (int r = 0; r < kRows; ++r) {
    acc0[r] = _mm512_setzero_si512();
    acc1[r] = _mm512_setzero_si512();
  }
  if (p1 != nullptr) {
    for (int64_t g = 0; g < groups; ++g) {
      const __m512i b0 = _mm512_loadu_si512(p0 + g * 64);
      const __m512i b1 = _mm512_loadu_si512(p1 + g * 64);
      for (int r = 0; r < kRows; ++r) {
        const __m512i av = _mm512_set1_epi32(load4(a + r * lda + g * 4));
        acc0[r] = dpbusd(acc0[r], av, b0);
        acc1[r] = dpbusd(acc1[r], av, b1);
      }
    }
  } else {
    for (int64_t g = 0; g < groups; ++g) {
      const __m512i b0 = _mm512_loadu_si512(p0 + g * 64);
      for (int r = 0; r < kRows; ++r) {
        acc0[r] = dpbusd(acc0[r], _mm512_set1_epi32(load4(a + r * lda + g * 4)), b0);
      }
    }
  }
  const __mmask16 m0 = cols >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << cols) - 1);
  const int64_t rest = std::max<int64_t>(0, cols - 16);
  const __mmask16 m1 = rest >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << rest) - 1);
  if (out.rq == nullptr) {
    for (int r = 0; r < kRows; ++r) {
      int32_t* c = out.c + (row0 + r) * out.ldc + col0;
      _mm512_mask_storeu_epi32(c, m0, acc0[r]);
      if (m1) _mm512_mask_storeu_epi32(c + 16, m1, acc1[r]);
    }
    return;
  }
  const Int8Requant& rq = *out.rq;
  // Mask-loaded parameters keep the last strip inside [0, n).
  const __m512i t0 = _mm512_maskz_loadu_epi32(m0, rq.col_term + col0);
  const __m512 s0 = _mm512_maskz_loadu_ps(m0, rq.scale + col0);
  const __m512i t1 = _mm512_maskz_loadu_epi32(m1, rq.col_term + col0 + 16);
  const __m512 s1 = _mm512_maskz_loadu_ps(m1, rq.scale + col0 + 16);
  __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
  if (rq.bias != nullptr) {
    bias0 = _mm512_maskz_loadu_ps(m0, rq.bias + col0);
    bias1 = _mm512_maskz_loadu_ps(m1, rq.bias + col0 + 16);
  }
  for (int r = 0; r < kRows; ++r) {
    float* y = out.y + (row0 + r) * out.ldy + col0;
    requant_store(rq, acc0[r], t0, s0, bias0, row0 + r, col0, m0, y);
    if (m1) requant_store(rq, acc1[r], t1, s1, bias1, row0 + r, col0 + 16, m1, y + 16);
  }
}

// Both VNNI entry points: 8-row x 32-column tiles (16 accumulators, 8 broadcasts and 2 loads per
// 16 vpdpbusd), the last rows in one smaller tile; strip_done after each ~64 columns of all rows.
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void gemm_vnni(const uint8_t* a, int64_t lda,
                                                                      int64_t m, const PackedB8& b,
                                                                      const TileOut& out,
                                                                      StripDone strip_done) {
  const int64_t groups = b.k4 / 4;
  int64_t strip0 = 0;
  for (int64_t panel = 0; panel < b.panels; panel += 2) {
    const int8_t* p0 = b.data.data() + panel * groups * 64;
    const int8_t* p1 = panel + 1 < b.panels ? p0 + groups * 64 : nullptr;
    const int64_t col0 = panel * 16;
    const int64_t cols = std::min<int64_t>(32, b.n - col0);
    int64_t r = 0;
    for (; r + 8 <= m; r += 8) tile_vnni<8>(a + r * lda, lda, p0, p1, groups, r, col0, cols, out);
    const uint8_t* ar = a + r * lda;
    switch (m - r) {
#define BOG_VNNI_TAIL(R)                                       \
  case R:                                                      \
    tile_vnni<R>(ar, lda, p0, p1, groups, r, col0, cols, out); \
    break;
      BOG_VNNI_TAIL(7)
      BOG_VNNI_TAIL(6)
      BOG_VNNI_TAIL(5)
      BOG_VNNI_TAIL(4)
      BOG_VNNI_TAIL(3)
      BOG_VNNI_TAIL(2)
      BOG_VNNI_TAIL(1)
#undef BOG_VNNI_TAIL
      default:
        break;
    }
    // Strips of 64 columns: the fused activations work on 64-float blocks.
    if (strip_done.fn != nullptr && (col0 + cols - strip0 >= 64 || col0 + cols == b.n)) {
      strip_done.fn(strip_done.ctx, strip0, col0 + cols);
      strip0 = col0 + cols;
    }
  }
}

// AVX2 without VNNI: each 16-byte quarter of a packed group (4 columns x 4 k) is sign-extended
// to int16 and multiplied by A's 4 bytes (zero-extended, repeated) with vpmaddwd, which leaves
// two exact partial sums per column; the partials are added pairwise only at the end.
template <int kRows>
__attribute__((target("avx2"))) void tile_avx2(const uint8_t* a, int64_t lda, const int8_t* p,
                                               int64_t groups, int32_t* c, int64_t ldc,
                                               int64_t cols) {
  __m256i acc[kRows][4];
  for (int r = 0; r < kRows; ++r) {
    for (int q = 0; q < 4; ++q) acc[r][q] = _mm256_setzero_si256();
  }
  for (int64_t g = 0; g < groups; ++g) {
    __m256i bq[4];
    for (int q = 0; q < 4; ++q) {
      bq[q] = _mm256_cvtepi8_epi16(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + g * 64 + q * 16)));
    }
    for (int r = 0; r < kRows; ++r) {
      const __m128i a4 = _mm_set1_epi32(load4(a + r * lda + g * 4));
      const __m256i a16 = _mm256_cvtepu8_epi16(a4);  // [a0 a1 a2 a3] x 4, as int16
      for (int q = 0; q < 4; ++q) {
        acc[r][q] = _mm256_add_epi32(acc[r][q], _mm256_madd_epi16(a16, bq[q]));
      }
    }
  }
  for (int r = 0; r < kRows; ++r) {
    alignas(32) int32_t out[16];
    for (int q = 0; q < 4; q += 2) {
      // acc[q] holds columns 4q..4q+3 as two partial sums each (k0+k1, k2+k3); hadd adds each
      // pair (per 128-bit lane), the permute puts the 64-bit chunks back in column order.
      const __m256i h = _mm256_hadd_epi32(acc[r][q], acc[r][q + 1]);
      const __m256i ordered = _mm256_permute4x64_epi64(h, 0xD8);
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + q * 4), ordered);
    }
    for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] = out[j];
  }
}

__attribute__((target("avx2"))) void gemm_avx2(const uint8_t* a, int64_t lda, int64_t m,
                                               const PackedB8& b, int32_t* c, int64_t ldc) {
  const int64_t groups = b.k4 / 4;
  for (int64_t panel = 0; panel < b.panels; ++panel) {
    const int8_t* p = b.data.data() + panel * groups * 64;
    const int64_t col0 = panel * 16;
    const int64_t cols = std::min<int64_t>(16, b.n - col0);
    int64_t r = 0;
    for (; r + 2 <= m; r += 2)
      tile_avx2<2>(a + r * lda, lda, p, groups, c + r * ldc + col0, ldc, cols);
    if (r < m) tile_avx2<1>(a + r * lda, lda, p, groups, c + r * ldc + col0, ldc, cols);
  }
}

#endif  // BOG_INT8_X86

}  // namespace

void gemm_u8s8(Int8Isa isa, const uint8_t* a, int64_t lda, int64_t m, const PackedB8& b, int32_t* c,
               int64_t ldc) {
#if BOG_INT8_X86
  if (isa == Int8Isa::kAvx512Vnni) return gemm_vnni(a, lda, m, b, TileOut{c, ldc}, {});
  if (isa == Int8Isa::kAvx2) return gemm_avx2(a, lda, m, b, c, ldc);
#endif
  (void)isa;
  gemm_scalar(a, lda, m, b, c, ldc);
}

bool gemm_u8s8_requant(Int8Isa isa, const uint8_t* a, int64_t lda, int64_t m, const PackedB8& b,
                       const Int8Requant& rq, float* y, int64_t ldy, StripDone strip_done) {
#if BOG_INT8_X86
  if (isa == Int8Isa::kAvx512Vnni) {
    gemm_vnni(a, lda, m, b, TileOut{nullptr, 0, &rq, y, ldy}, strip_done);
    return true;
  }
#endif
  (void)isa, (void)a, (void)lda, (void)m, (void)b, (void)rq, (void)y, (void)ldy, (void)strip_done;
  return false;
}

}  // namespace bog::runtime::cpu
