#include "bench/gemm_peak.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace bog::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

double measure_packed_gemm_gflops(int n, int repeats) {
  namespace cpu = runtime::cpu;
  const cpu::GemmIsa isa = cpu::best_gemm_isa();
  const auto nn = static_cast<size_t>(n) * static_cast<size_t>(n);
  std::vector<float> a(nn), b(nn), c(nn);
  for (size_t i = 0; i < nn; ++i) {
    a[i] = static_cast<float>((i * 7 + 3) % 17) / 17.0f - 0.5f;
    b[i] = static_cast<float>((i * 5 + 1) % 13) / 13.0f - 0.5f;
  }
  const cpu::PackedMatrix packed(isa, b.data(), n, n, n, false);
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    cpu::gemm_packed(isa, n, n, n, a.data(), n, packed.data(), c.data(), n, cpu::Epilogue{},
                     nullptr);
    const double s = seconds_since(t0);
    if (s > 0) best = std::max(best, 2.0 * n * n * static_cast<double>(n) / s / 1e9);
  }
  return std::isfinite(c[0]) ? best : 0;  // the product stays observable
}

double measure_fma_gflops(int repeats) {
  constexpr int kIters = 1 << 22;
  double best = 0;
  float sink = 0;
  for (int r = 0; r < repeats; ++r) {
#if defined(__AVX512F__)
    // 16 chains hide the FMA latency (4 cycles) on two FMA ports: 16 lanes x 2 flops each.
    constexpr int kChains = 16;
    __m512 acc[kChains];
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_ps(static_cast<float>(j) * 1e-3f);
    const __m512 mul = _mm512_set1_ps(0.999999f);
    const __m512 add = _mm512_set1_ps(1e-7f);
    const auto t0 = Clock::now();
    for (int i = 0; i < kIters; ++i) {
      for (int j = 0; j < kChains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], mul, add);
    }
    const double s = seconds_since(t0);
    for (int j = 0; j < kChains; ++j) sink += _mm512_reduce_add_ps(acc[j]);
    const double flops = 2.0 * 16 * kChains * static_cast<double>(kIters);
#else
    constexpr int kChains = 64;
    float acc[kChains];
    for (int j = 0; j < kChains; ++j) acc[j] = static_cast<float>(j) * 1e-3f;
    const auto t0 = Clock::now();
    for (int i = 0; i < kIters / 4; ++i) {
      for (int j = 0; j < kChains; ++j) acc[j] = std::fma(acc[j], 0.999999f, 1e-7f);
    }
    const double s = seconds_since(t0);
    for (int j = 0; j < kChains; ++j) sink += acc[j];
    const double flops = 2.0 * kChains * static_cast<double>(kIters / 4);
#endif
    if (s > 0) best = std::max(best, flops / s / 1e9);
  }
  return std::isfinite(sink) ? best : 0;
}

}  // namespace bog::bench
