// The cpu provider's bf16 GEMM: C = epilogue(bf16(A) · bf16(B)) with fp32 accumulation, for
// `SessionOptions::precision = bf16`. B (a constant weight) is rounded to bf16 and packed once;
// A is rounded to bf16 (round to nearest even) once per call into a per-thread scratch.
//
// Packed layout (one layout for both kernels): K is padded with zeros to a multiple of 32 (Kp),
// N to a multiple of 32. Panel p (columns 32p..32p+31) holds Kp * 32 values; within it, k-block
// kb (k = 32kb..32kb+31) is two 1 KiB sub-tiles, one per 16 columns, each 16 rows of k pairs:
//   value(k, j) at panel + kb*1024 + (j/16)*512 + ((k%32)/2)*32 + (j%16)*2 + k%2
// That is AMX's B-tile form (16 rows x 64 bytes, pairs of k in each 32-bit lane) and also what
// vdpbf16ps reads one k pair at a time.
//
// Kernels: AMX (tdpbf16ps, 32 x 32 output blocks in four tile registers) where the CPU has
// amx_bf16 and the kernel grants tile data; AVX512_BF16 (vdpbf16ps, 8 x 32 tiles) where it has
// avx512_bf16; elsewhere none, and callers run fp32 and say why (bf16_unavailable_reason()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"
#include "onnx_runtime/providers/cpu/gemm/weight_arena.h"

namespace bog::runtime::cpu {

enum class Bf16Isa { kNone, kAvx512Bf16, kAmx };
// The best the CPU (and kernel) support; BOG_BF16_ISA=avx512bf16|none lowers it.
Bf16Isa best_bf16_isa();
bool bf16_isa_supported(Bf16Isa isa);
std::string_view bf16_isa_name(Bf16Isa isa);
// Why bf16 runs as fp32 here ("" when best_bf16_isa() is not kNone).
std::string bf16_unavailable_reason();

// Round to nearest even (NaN stays NaN, quiet); the rounding every operand goes through.
inline uint16_t float_to_bf16(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16_to_float(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}
// dst[i] = float_to_bf16(src[i]) for n values (vectorised where the CPU allows; same results).
void round_to_bf16(const float* src, uint16_t* dst, int64_t n);

inline int64_t bf16_padded_k(int64_t k) { return (std::max<int64_t>(k, 1) + 31) / 32 * 32; }

// A weight B[K,N] (row stride ldb; with `transposed`, Bᵀ stored [N,K]) rounded and packed once,
// in `arena` (kept alive; weight_arena.h) or without one in a heap block of its own.
class PackedBf16Matrix {
 public:
  PackedBf16Matrix(const float* b, int64_t k, int64_t n, int64_t ldb, bool transposed,
                   std::shared_ptr<WeightArena> arena = nullptr);
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  int64_t padded_k() const { return bf16_padded_k(k_); }
  const uint16_t* data() const { return static_cast<const uint16_t*>(storage_.data()); }
  size_t bytes() const;

 private:
  int64_t k_, n_;
  PackedStorage storage_;
};

// C[M,N] (row stride ldc) = epilogue(bf16(A[M,K]) (row stride lda) · B), fp32 accumulation.
// `isa` must be supported and not kNone. Rows are split over `pool` (may be null) in blocks, so
// the result does not depend on the thread count.
void gemm_bf16(Bf16Isa isa, int64_t m, const float* a, int64_t lda, const PackedBf16Matrix& b,
               float* c, int64_t ldc, const Epilogue& epilogue, ThreadPool* pool);

}  // namespace bog::runtime::cpu
