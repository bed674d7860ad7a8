// AMX bf16 kernel: a 32 x 32 output block in four 16 x 16 fp32 tile registers (tmm0-3), two A
// tiles (16 rows x 32 k, tmm4-5) and two B tiles (16 k pairs x 16 columns, tmm6-7) per k-block
// of 32: four tdpbf16ps, each 16 x 16 x 32 multiply-adds. Blocks of 16 rows or fewer use the
// top half only. Tiles are stored to a local block, then bias is added while copying to C.
#include "onnx_runtime/providers/cpu/gemm/bf16_tiles.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

namespace bog::runtime::cpu {
namespace {

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

thread_local bool t_configured = false;

__attribute__((target("amx-tile"))) void configure() {
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig(&cfg);
  t_configured = true;
}

// The tile instructions are inline assembly the compiler cannot see through: these keep it
// from moving loads and stores of A, the panel or `out` across them.
inline void memory_barrier() { asm volatile("" ::: "memory"); }

template <bool kTwoHalves>
__attribute__((target("amx-tile,amx-bf16"))) void block(int64_t kblocks, const uint16_t* a,
                                                        int64_t lda, const uint16_t* panel,
                                                        float* out) {
  const long stride_a = static_cast<long>(lda * 2);
  memory_barrier();
  _tile_zero(0);
  _tile_zero(1);
  if (kTwoHalves) {
    _tile_zero(2);
    _tile_zero(3);
  }
  const uint16_t* a1 = a + 16 * lda;
  for (int64_t kb = 0; kb < kblocks; ++kb) {
    const uint16_t* p = panel + kb * 1024;
    _tile_loadd(4, a + kb * 32, stride_a);
    _tile_loadd(6, p, 64);
    _tile_loadd(7, p + 512, 64);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    if (kTwoHalves) {
      _tile_loadd(5, a1 + kb * 32, stride_a);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
  }
  _tile_stored(0, out, 128);
  _tile_stored(1, out + 16, 128);
  if (kTwoHalves) {
    _tile_stored(2, out + 16 * 32, 128);
    _tile_stored(3, out + 16 * 32 + 16, 128);
  }
  memory_barrier();
}

}  // namespace

void block_amx_bf16(int64_t rows, int64_t kblocks, const uint16_t* a, int64_t lda,
                    const uint16_t* panel, float* c, int64_t ldc, int64_t cols, const float* bias) {
  if (!t_configured) configure();
  alignas(64) float out[32 * 32];
  if (rows > 16) {
    block<true>(kblocks, a, lda, panel, out);
  } else {
    block<false>(kblocks, a, lda, panel, out);
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* dst = c + r * ldc;
    const float* src = out + r * 32;
    if (bias != nullptr) {
      for (int64_t j = 0; j < cols; ++j) dst[j] = src[j] + bias[j];
    } else {
      std::memcpy(dst, src, static_cast<size_t>(cols) * sizeof(float));
    }
  }
}

}  // namespace bog::runtime::cpu

#else

namespace bog::runtime::cpu {
void block_amx_bf16(int64_t, int64_t, const uint16_t*, int64_t, const uint16_t*, float*, int64_t,
                    int64_t, const float*) {}  // never selected off x86
}  // namespace bog::runtime::cpu

#endif
