// The machine's fp32 peak as the project's own code reaches it, measured in the same run as the
// rows it scales: the cpu provider's packed GEMM on a large square (one thread), and one core's
// FMA loop (independent multiply-add chains, the rate no GEMM can beat). Eigen's sgemm, which
// the fused GEMM beats at transformer shapes, stays in the report as `sgemm_gflops`.
#pragma once

namespace bog::bench {

// GFLOP/s of the packed fp32 GEMM (best_gemm_isa) on n x n x n, one thread, best of `repeats`.
[[nodiscard]] double measure_packed_gemm_gflops(int n = 1024, int repeats = 5);

// GFLOP/s of one core's fp32 FMA loop at the widest vectors this build has (AVX-512: 16
// independent zmm chains; else the compiler's own vectors), best of `repeats`.
[[nodiscard]] double measure_fma_gflops(int repeats = 5);

}  // namespace bog::bench
