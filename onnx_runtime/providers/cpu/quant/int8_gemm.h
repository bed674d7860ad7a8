// u8 x s8 -> s32 GEMM of the cpu provider's int8 path: AVX-512 VNNI (vpdpbusd) where the CPU
// has it, an exact AVX2 fallback (sign/zero-extend to int16 + vpmaddwd, never the saturating
// vpmaddubsw), and a scalar path. Every path computes the same exact int32 sums.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bog::runtime::cpu {

enum class Int8Isa { kScalar, kAvx2, kAvx512Vnni };

// The best path this CPU and build support.
Int8Isa best_int8_isa();
std::string int8_isa_name(Int8Isa isa);

// B [K, N] int8 (row-major) repacked for the micro-kernels: 16-column panels, each holding
// groups of 4 consecutive k per column: data[panel][k / 4][column % 16][k % 4]. K is padded to
// a multiple of 4 and N to a multiple of 16 with zeros. col_sums[n] = sum_k B[k][n].
struct PackedB8 {
  int64_t k = 0;
  int64_t n = 0;
  int64_t k4 = 0;  // K rounded up to a multiple of 4
  int64_t panels = 0;
  std::vector<int8_t> data;
  std::vector<int32_t> col_sums;
};
PackedB8 pack_b8(const int8_t* b, int64_t k, int64_t n);

// C[m][n] = sum_k A[m][k] * B[k][n] for rows [0, m) of A (uint8, row stride lda >= k4, the
// bytes in [k, k4) zero). Writes int32 C with row stride ldc.
void gemm_u8s8(Int8Isa isa, const uint8_t* a, int64_t lda, int64_t m, const PackedB8& b, int32_t* c,
               int64_t ldc);

// The int32 -> float step of a dynamically quantized MatMul, done on each tile in registers:
// y[r][c] = float(acc[r][c] + col_term[c]) * scale[c], then + bias[c], * multiplier[r][c],
// + residual[r][c], each a separate rounding (MatMulInteger -> Cast -> Mul -> Add -> Mul -> Add,
// bit for bit). An activation between bias and multiplier is the caller's (StripDone).
struct Int8Requant {
  const int32_t* col_term = nullptr;  // [n]
  const float* scale = nullptr;       // [n]
  const float* bias = nullptr;        // [n] or null
  const float* multiplier = nullptr;  // [m, n] with row stride ldm, or null
  int64_t ldm = 0;
  const float* residual = nullptr;  // [m, n] with row stride ldr, or null
  int64_t ldr = 0;
};

// Called after each strip [c0, c1) of about 64 columns of all rows is stored, while it is still in
// L1 (the rest of a fused epilogue). A plain function and context: no allocation per call.
struct StripDone {
  void (*fn)(void* ctx, int64_t c0, int64_t c1) = nullptr;
  void* ctx = nullptr;
};

// gemm_u8s8 followed by `rq`, writing float Y (row stride ldy) without an int32 buffer. Only the
// VNNI path has it: false (nothing written) on the others, which keep the int32 buffer.
bool gemm_u8s8_requant(Int8Isa isa, const uint8_t* a, int64_t lda, int64_t m, const PackedB8& b,
                       const Int8Requant& rq, float* y, int64_t ldy, StripDone strip_done = {});

}  // namespace bog::runtime::cpu
