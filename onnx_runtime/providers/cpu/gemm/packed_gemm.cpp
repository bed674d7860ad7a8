#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"

#include <fmt/format.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unsupported/Eigen/SpecialFunctions>
#include <utility>

#include "onnx_runtime/providers/cpu/gemm/micro_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {
namespace {

constexpr int kActivationBlock = 64;

GemmIsa detect_isa() {
  GemmIsa best = GemmIsa::kPortable;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = GemmIsa::kAvx2;
  if (__builtin_cpu_supports("avx512f")) best = GemmIsa::kAvx512;
#endif
  if (const char* env = std::getenv("BOG_GEMM_ISA")) {
    const std::string want = env;
    if (want == "portable") best = GemmIsa::kPortable;
    if (want == "avx2" && best == GemmIsa::kAvx512) best = GemmIsa::kAvx2;
  }
  return best;
}

int64_t tile_rows(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::kAvx512:
      return kAvx512Rows;
    case GemmIsa::kAvx2:
      return kAvx2Rows;
    case GemmIsa::kPortable:
      break;
  }
  return kPortableRows;
}

// One tile of `rows` rows (<= the ISA's tile height) and `cols` columns of one panel.
void run_tile(GemmIsa isa, int64_t rows, int64_t k, const float* a, int64_t lda, const float* panel,
              float* c, int64_t ldc, int64_t cols, const float* bias) {
  switch (isa) {
    case GemmIsa::kAvx512:
      tile_avx512(rows, k, a, lda, panel, c, ldc, cols, bias);
      return;
    case GemmIsa::kAvx2:
      tile_avx2(rows, k, a, lda, panel, c, ldc, cols, bias);
      return;
    case GemmIsa::kPortable:
      break;
  }
  tile_portable(rows, k, a, lda, panel, c, ldc, cols, bias);
}

}  // namespace

GemmIsa best_gemm_isa() {
  static const GemmIsa isa = detect_isa();
  return isa;
}

bool gemm_isa_supported(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::kPortable:
      return true;
    case GemmIsa::kAvx2:
      return best_gemm_isa() != GemmIsa::kPortable;
    case GemmIsa::kAvx512:
      return best_gemm_isa() == GemmIsa::kAvx512;
  }
  return false;
}

std::string_view gemm_isa_name(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::kAvx512:
      return "avx512";
    case GemmIsa::kAvx2:
      return "avx2";
    case GemmIsa::kPortable:
      break;
  }
  return "portable";
}

int64_t gemm_panel_width(GemmIsa isa) {
  return isa == GemmIsa::kAvx512 ? kAvx512Cols : isa == GemmIsa::kAvx2 ? kAvx2Cols : kPortableCols;
}

int64_t packed_size(GemmIsa isa, int64_t k, int64_t n) {
  const int64_t nr = gemm_panel_width(isa);
  return (n + nr - 1) / nr * nr * std::max<int64_t>(k, 1);
}

void pack_b(GemmIsa isa, const float* b, int64_t k, int64_t n, int64_t ldb, bool transposed,
            float* dst) {
  const int64_t nr = gemm_panel_width(isa);
  for (int64_t j0 = 0; j0 < n; j0 += nr) {
    const int64_t cols = std::min(nr, n - j0);
    float* panel = dst + j0 * k;  // panels are k * nr floats, j0 is a multiple of nr
    for (int64_t kk = 0; kk < k; ++kk) {
      float* row = panel + kk * nr;
      if (transposed) {
        for (int64_t j = 0; j < cols; ++j) row[j] = b[(j0 + j) * ldb + kk];
      } else {
        std::memcpy(row, b + kk * ldb + j0, static_cast<size_t>(cols) * sizeof(float));
      }
      for (int64_t j = cols; j < nr; ++j) row[j] = 0.0f;
    }
  }
}

PackedMatrix::PackedMatrix(GemmIsa isa, const float* b, int64_t k, int64_t n, int64_t ldb,
                           bool transposed, std::shared_ptr<WeightArena> arena)
    : isa_(isa),
      k_(k),
      n_(n),
      storage_(std::move(arena), static_cast<size_t>(packed_size(isa, k, n)) * sizeof(float) + 64) {
  pack_b(isa, b, k, n, ldb, transposed, static_cast<float*>(storage_.data()));
}

namespace {

template <class F>
void activation_block(float* v, F&& f) {
  Eigen::Map<Eigen::Array<float, kActivationBlock, 1>, Eigen::Aligned64> a(v);
  a = f(a);
}

}  // namespace

void apply_activation(Activation act, float* x, int64_t n) {
  if (act == Activation::kNone || n <= 0) return;
  // Every element goes through the same vectorised code in an aligned block (the tail is
  // padded), so a value's result never depends on its address or on where a row was split
  // between threads: results are identical for any thread count.
  alignas(64) float block[kActivationBlock];
  for (int64_t i = 0; i < n; i += kActivationBlock) {
    const int64_t len = std::min<int64_t>(kActivationBlock, n - i);
    std::memcpy(block, x + i, static_cast<size_t>(len) * sizeof(float));
    std::fill(block + len, block + kActivationBlock, 0.0f);
    switch (act) {
      case Activation::kRelu:
        activation_block(block, [](const auto& v) { return v.max(0.0f); });
        break;
      case Activation::kGeluErf:
        activation_block(block, [](const auto& v) {
          return 0.5f * v * (1.0f + (v * 0.70710678118654752f).erf());
        });
        break;
      case Activation::kGeluTanh:
        activation_block(block, [](const auto& v) {
          return 0.5f * v * (1.0f + (0.7978845608028654f * (v + 0.044715f * v * v * v)).tanh());
        });
        break;
      case Activation::kSilu:
        activation_block(block, [](const auto& v) { return v * v.logistic(); });
        break;
      case Activation::kNone:
        break;
    }
    std::memcpy(x + i, block, static_cast<size_t>(len) * sizeof(float));
  }
}

void apply_epilogue_after_bias(const Epilogue& ep, float* c, int64_t ldc, int64_t r_begin,
                               int64_t r_end, int64_t j0, int64_t cols) {
  for (int64_t r = r_begin; r < r_end; ++r) {
    float* row = c + r * ldc + j0;
    apply_activation(ep.activation, row, cols);
    if (ep.multiplier != nullptr) {
      const float* mul = ep.multiplier + r * ep.ldm + j0;
      for (int64_t j = 0; j < cols; ++j) row[j] *= mul[j];
    }
    if (ep.residual != nullptr) {
      const float* res = ep.residual + r * ep.ldr + j0;
      for (int64_t j = 0; j < cols; ++j) row[j] += res[j];
    }
  }
}

GemmSplit split_gemm(int64_t m, int64_t mr, int64_t panels, int threads) {
  const int64_t tiles = (m + mr - 1) / mr;
  int64_t chunk_tiles = std::min<int64_t>(tiles, std::max<int64_t>(1, 128 / mr));
  if (threads > 1) {
    chunk_tiles = std::min(chunk_tiles, std::max<int64_t>(1, (tiles + threads - 1) / threads));
  }
  GemmSplit s{};
  s.chunk_rows = chunk_tiles * mr;
  s.row_chunks = (m + s.chunk_rows - 1) / s.chunk_rows;
  s.panel_groups = 1;
  if (threads > 1 && s.row_chunks < threads) {
    s.panel_groups = std::min<int64_t>(panels, (threads + s.row_chunks - 1) / s.row_chunks);
  }
  s.panels_per_group = (panels + s.panel_groups - 1) / s.panel_groups;
  return s;
}

void gemm_packed(GemmIsa isa, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                 const float* packed_b, float* c, int64_t ldc, const Epilogue& ep, ThreadPool* pool,
                 int64_t panel_k) {
  const int64_t stride_k = std::max<int64_t>(panel_k >= 0 ? panel_k : k, 1);
  if (m <= 0 || n <= 0) return;
  const int64_t mr = tile_rows(isa);
  const int64_t nr = gemm_panel_width(isa);
  const int64_t panels = (n + nr - 1) / nr;
  // Waking a sleeping worker costs tens of microseconds: a GEMM smaller than this (about 25 µs
  // on one core) runs on the calling thread alone.
  constexpr int64_t kMinParallelMacs = int64_t{1} << 22;
  if (m * n * k < kMinParallelMacs) pool = nullptr;
  const int threads = pool != nullptr ? pool->threads() : 1;
  const GemmSplit split = split_gemm(m, mr, panels, threads);
  const int64_t chunk_rows = split.chunk_rows;
  const int64_t panel_groups = split.panel_groups;
  const int64_t panels_per_group = split.panels_per_group;
  const bool post =
      ep.activation != Activation::kNone || ep.residual != nullptr || ep.multiplier != nullptr;
  auto task = [&](int64_t t) {
    const int64_t rc = t / panel_groups;
    const int64_t pg = t % panel_groups;
    const int64_t r_begin = rc * chunk_rows;
    const int64_t r_end = std::min(m, r_begin + chunk_rows);
    const int64_t p_end = std::min(panels, (pg + 1) * panels_per_group);
    for (int64_t p = pg * panels_per_group; p < p_end; ++p) {
      const int64_t j0 = p * nr;
      const int64_t cols = std::min(nr, n - j0);
      const float* panel = packed_b + j0 * stride_k;
      const float* bias = ep.bias != nullptr ? ep.bias + j0 : nullptr;
      for (int64_t r0 = r_begin; r0 < r_end; r0 += mr) {
        run_tile(isa, std::min(mr, r_end - r0), k, a + r0 * lda, lda, panel, c + r0 * ldc + j0, ldc,
                 cols, bias);
      }
      if (post) apply_epilogue_after_bias(ep, c, ldc, r_begin, r_end, j0, cols);
    }
  };
  const int64_t tasks = split.tasks();
  if (pool != nullptr && tasks > 1) {
    pool->parallel_for(tasks, task);
  } else {
    for (int64_t t = 0; t < tasks; ++t) task(t);
  }
}

}  // namespace bog::runtime::cpu
