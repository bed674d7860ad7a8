// Portable micro-kernel: a 4 x 16 tile in plain C++ (the compiler vectorises the inner loop
// for whatever ISA the build targets: SSE2, NEON, ...).
#include "onnx_runtime/providers/cpu/gemm/micro_kernels.h"

namespace bog::runtime::cpu {

void tile_portable(int64_t rows, int64_t k, const float* a, int64_t lda, const float* panel,
                   float* c, int64_t ldc, int64_t cols, const float* bias) {
  constexpr int64_t kW = kPortableCols;
  float acc[kPortableRows][kW];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < kW; ++j) acc[r][j] = bias != nullptr && j < cols ? bias[j] : 0.0f;
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const float* b = panel + kk * kW;
    for (int64_t r = 0; r < rows; ++r) {
      const float av = a[r * lda + kk];
      for (int64_t j = 0; j < kW; ++j) acc[r][j] += av * b[j];
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] = acc[r][j];
  }
}

}  // namespace bog::runtime::cpu
