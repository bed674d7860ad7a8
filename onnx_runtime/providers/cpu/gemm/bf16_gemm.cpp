#include "onnx_runtime/providers/cpu/gemm/bf16_gemm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/bf16_tiles.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace bog::runtime::cpu {
namespace {

struct Bf16Support {
  Bf16Isa isa = Bf16Isa::kNone;
  std::string reason;
};

Bf16Support detect() {
  Bf16Support s;
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool dp = false;
  bool amx = false;
  if (avx512 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) dp = ((eax >> 5) & 1u) != 0;
  if (avx512 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    amx = ((edx >> 22) & 1u) != 0 && ((edx >> 24) & 1u) != 0;
  }
  std::string amx_reason;
  if (amx) {
    // Linux hands out AMX tile data only on request (ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA).
    constexpr long kReqXcompPerm = 0x1023;
    constexpr long kXtileData = 18;
    if (syscall(SYS_arch_prctl, kReqXcompPerm, kXtileData) != 0) {
      amx = false;
      amx_reason = "the kernel refused AMX tile data (arch_prctl ARCH_REQ_XCOMP_PERM)";
    }
  }
  if (amx)
    s.isa = Bf16Isa::kAmx;
  else if (dp)
    s.isa = Bf16Isa::kAvx512Bf16;
  if (s.isa == Bf16Isa::kNone) {
    s.reason = amx_reason.empty() ? "this CPU has neither avx512_bf16 nor amx_bf16"
                                  : amx_reason + " and this CPU has no avx512_bf16";
  }
#else
  s.reason = "bf16 kernels exist only for x86-64 (AVX512_BF16, AMX)";
#endif
  if (const char* env = std::getenv("BOG_BF16_ISA")) {
    const std::string want = env;
    if (want == "none") {
      s.isa = Bf16Isa::kNone;
      s.reason = "BOG_BF16_ISA=none";
    } else if (want == "avx512bf16" && s.isa == Bf16Isa::kAmx) {
      s.isa = Bf16Isa::kAvx512Bf16;
    }
  }
  return s;
}

const Bf16Support& support() {
  static const Bf16Support s = detect();
  return s;
}

// Per-thread A scratch: grows to the largest call, then no call allocates.
struct Scratch {
  struct Free {
    void operator()(uint16_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint16_t, Free> data;
  size_t capacity = 0;
  uint16_t* get(size_t n) {
    if (n > capacity) {
      void* p = std::aligned_alloc(64, (n * 2 + 63) / 64 * 64);
      if (p == nullptr) throw Error(ErrorCategory::kIo, "out of memory in the bf16 GEMM");
      data.reset(static_cast<uint16_t*>(p));
      capacity = n;
    }
    return data.get();
  }
};

}  // namespace

Bf16Isa best_bf16_isa() { return support().isa; }

bool bf16_isa_supported(Bf16Isa isa) {
  switch (isa) {
    case Bf16Isa::kNone:
      return false;
    case Bf16Isa::kAvx512Bf16:
      return best_bf16_isa() != Bf16Isa::kNone;
    case Bf16Isa::kAmx:
      return best_bf16_isa() == Bf16Isa::kAmx;
  }
  return false;
}

std::string_view bf16_isa_name(Bf16Isa isa) {
  switch (isa) {
    case Bf16Isa::kAmx:
      return "amx_bf16";
    case Bf16Isa::kAvx512Bf16:
      return "avx512_bf16";
    case Bf16Isa::kNone:
      break;
  }
  return "none";
}

std::string bf16_unavailable_reason() { return support().reason; }

void round_to_bf16(const float* src, uint16_t* dst, int64_t n) {
  if (n <= 0 || round_to_bf16_avx512(src, dst, n)) return;
  for (int64_t i = 0; i < n; ++i) dst[i] = float_to_bf16(src[i]);
}

size_t PackedBf16Matrix::bytes() const {
  return static_cast<size_t>((n_ + 31) / 32 * 32 * padded_k()) * sizeof(uint16_t);
}

PackedBf16Matrix::PackedBf16Matrix(const float* b, int64_t k, int64_t n, int64_t ldb,
                                   bool transposed, std::shared_ptr<WeightArena> arena)
    : k_(k),
      n_(n),
      storage_(std::move(arena),
               static_cast<size_t>((n + 31) / 32 * 32 * bf16_padded_k(k)) * sizeof(uint16_t) + 64) {
  const size_t size = bytes();
  auto* dst = static_cast<uint16_t*>(storage_.data());
  std::memset(dst, 0, size);
  const int64_t kp = padded_k();
  for (int64_t j = 0; j < n; ++j) {
    uint16_t* panel = dst + (j / 32) * kp * 32 + ((j % 32) / 16) * 512 + (j % 16) * 2;
    for (int64_t kk = 0; kk < k; ++kk) {
      const float v = transposed ? b[j * ldb + kk] : b[kk * ldb + j];
      panel[(kk / 32) * 1024 + ((kk % 32) / 2) * 32 + kk % 2] = float_to_bf16(v);
    }
  }
}

void gemm_bf16(Bf16Isa isa, int64_t m, const float* a, int64_t lda, const PackedBf16Matrix& b,
               float* c, int64_t ldc, const Epilogue& ep, ThreadPool* pool) {
  const int64_t n = b.n();
  const int64_t k = b.k();
  if (m <= 0 || n <= 0) return;
  // (Also runs the detection, which asks the kernel for AMX tile data, before any tile op.)
  if (!bf16_isa_supported(isa)) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("gemm_bf16: {} is not available here{}", bf16_isa_name(isa),
                            best_bf16_isa() == Bf16Isa::kNone ? ": " + bf16_unavailable_reason()
                                                              : std::string()));
  }
  const bool amx = isa == Bf16Isa::kAmx;
  const int64_t mr = amx ? kAmxRows : kDpbf16Rows;
  const int64_t kp = b.padded_k();
  const int64_t kblocks = kp / 32;
  const int64_t mp = (m + kAmxRows - 1) / kAmxRows * kAmxRows;
  thread_local Scratch scratch;
  uint16_t* abuf = scratch.get(static_cast<size_t>(mp * kp));
  // A rounded to bf16 once, zero-padded to Kp columns and whole 32-row blocks.
  parallel_ranges(pool, mp, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      uint16_t* row = abuf + r * kp;
      const int64_t done = r < m ? k : 0;
      if (r < m) round_to_bf16(a + r * lda, row, k);
      std::memset(row + done, 0, static_cast<size_t>(kp - done) * sizeof(uint16_t));
    }
  });
  const int64_t nr = kBf16Cols;
  const int64_t panels = (n + nr - 1) / nr;
  // AMX is about ten times fp32's rate: its GEMMs are worth sharing only when larger.
  const int64_t min_parallel = amx ? int64_t{1} << 25 : int64_t{1} << 22;
  if (m * n * k < min_parallel) pool = nullptr;
  const int threads = pool != nullptr ? pool->threads() : 1;
  const GemmSplit split = split_gemm(m, mr, panels, threads);
  const int64_t chunk_rows = split.chunk_rows;
  const int64_t panel_groups = split.panel_groups;
  const int64_t per_group = split.panels_per_group;
  const bool post =
      ep.activation != Activation::kNone || ep.residual != nullptr || ep.multiplier != nullptr;
  const uint16_t* packed = b.data();
  auto task = [&](int64_t t) {
    const int64_t rc = t / panel_groups;
    const int64_t pg = t % panel_groups;
    const int64_t r_begin = rc * chunk_rows;
    const int64_t r_end = std::min(m, r_begin + chunk_rows);
    const int64_t p_end = std::min(panels, (pg + 1) * per_group);
    for (int64_t p = pg * per_group; p < p_end; ++p) {
      const int64_t j0 = p * nr;
      const int64_t cols = std::min(nr, n - j0);
      const uint16_t* panel = packed + p * kp * nr;
      const float* bias = ep.bias != nullptr ? ep.bias + j0 : nullptr;
      for (int64_t r0 = r_begin; r0 < r_end; r0 += mr) {
        const int64_t rows = std::min(mr, r_end - r0);
        if (amx) {
          block_amx_bf16(rows, kblocks, abuf + r0 * kp, kp, panel, c + r0 * ldc + j0, ldc, cols,
                         bias);
        } else {
          tile_dpbf16(rows, kblocks, abuf + r0 * kp, kp, panel, c + r0 * ldc + j0, ldc, cols, bias);
        }
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
