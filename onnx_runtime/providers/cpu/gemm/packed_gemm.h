// The cpu provider's float32 GEMM: C = act(A·B + bias) * multiplier + residual, with B packed once
// into column panels of the micro-kernel's width (constant weights are packed at session creation).
// Micro-kernels: AVX-512 (8x32 tile), AVX2+FMA (6x16), portable C++ (4x16); the widest the
// CPU supports is picked at run time, so one binary runs anywhere. The epilogue (bias,
// activation, residual) is applied while the output tile is in registers or L1.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "onnx_runtime/providers/cpu/gemm/weight_arena.h"

namespace bog::runtime::cpu {

class ThreadPool;

enum class GemmIsa { kPortable, kAvx2, kAvx512 };
GemmIsa best_gemm_isa();  // BOG_GEMM_ISA=portable|avx2|avx512 lowers it (for tests, bench)
bool gemm_isa_supported(GemmIsa isa);
std::string_view gemm_isa_name(GemmIsa isa);

enum class Activation { kNone, kRelu, kGeluErf, kGeluTanh, kSilu };

struct Epilogue {
  const float* bias = nullptr;  // [N], added to every row
  Activation activation = Activation::kNone;
  const float* multiplier = nullptr;  // [M, N] with row stride ldm, multiplied after act
  int64_t ldm = 0;
  const float* residual = nullptr;  // [M, N] with row stride ldr, added last
  int64_t ldr = 0;
};

// Row panel width of an ISA's micro-kernel.
int64_t gemm_panel_width(GemmIsa isa);
// Floats needed to pack a K x N operand for `isa`.
int64_t packed_size(GemmIsa isa, int64_t k, int64_t n);

// Packs B[K,N] (row stride ldb) into `dst` (packed_size floats, 64-byte aligned). With
// `transposed`, the source is Bᵀ stored as [N,K] (row stride ldb): Kᵀ in attention, Gemm transB.
void pack_b(GemmIsa isa, const float* b, int64_t k, int64_t n, int64_t ldb, bool transposed,
            float* dst);

// A packed B (weights). Its panels live in `arena` (huge pages, weight_arena.h), which it keeps
// alive, or without one in a heap block of its own.
class PackedMatrix {
 public:
  PackedMatrix(GemmIsa isa, const float* b, int64_t k, int64_t n, int64_t ldb, bool transposed,
               std::shared_ptr<WeightArena> arena = nullptr);
  GemmIsa isa() const { return isa_; }
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  const float* data() const { return static_cast<const float*>(storage_.data()); }

 private:
  GemmIsa isa_;
  int64_t k_, n_;
  PackedStorage storage_;
};

// C[M,N] (row stride ldc) = epilogue(A[M,K] (row stride lda) · packed B). Rows are split over
// `pool` (may be null) in tiles, so the result does not depend on the thread count. `panel_k`
// (default K) is the K the panels were packed with: a smaller K uses only their first rows.
void gemm_packed(GemmIsa isa, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                 const float* packed_b, float* c, int64_t ldc, const Epilogue& epilogue,
                 ThreadPool* pool, int64_t panel_k = -1);

// How a GEMM of m rows (tiles of mr) and `panels` column panels is cut into tasks for
// `threads`: row chunks of whole tiles, at most 128 rows (the A chunk stays in L2); with fewer
// row chunks than threads the panels are split into groups too. Task t covers row chunk
// t / panel_groups and panel group t % panel_groups.
struct GemmSplit {
  int64_t chunk_rows, row_chunks, panel_groups, panels_per_group;
  int64_t tasks() const { return row_chunks * panel_groups; }
};
GemmSplit split_gemm(int64_t m, int64_t mr, int64_t panels, int threads);

// The epilogue after the bias (activation, multiplier, residual) on the block of C at rows
// [r_begin, r_end), columns [j0, j0 + cols): for GEMMs that add the bias themselves.
void apply_epilogue_after_bias(const Epilogue& ep, float* c, int64_t ldc, int64_t r_begin,
                               int64_t r_end, int64_t j0, int64_t cols);

// Applies act() in place to n floats (the vectorised GELU/SiLU the epilogue uses).
void apply_activation(Activation act, float* x, int64_t n);

}  // namespace bog::runtime::cpu
