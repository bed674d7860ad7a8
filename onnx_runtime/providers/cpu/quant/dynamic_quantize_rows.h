// DynamicQuantizeLinear's arithmetic on the cpu provider, shared by its kernel and by
// DynamicQuantizeMatMul, which quantizes X itself. Each step is the reference kernel's, bit for
// bit: min(0, x...) and max(0, x...) (a NaN skipped), scale = (max - min) / 255, zero point
// clamp(round(-min / scale)), q = saturate(round(x / scale) + zero point), rounding half to even.
#pragma once

#include <cstdint>

namespace bog::runtime::cpu {

class ThreadPool;
struct LaneLink;

struct MinMax {
  float mn = 0.0f;
  float mx = 0.0f;
};

// Over n floats; split over `pool` (may be null) for large n. `avx512`: use the AVX-512 loop.
MinMax dql_min_max(const float* x, int64_t n, bool avx512, ThreadPool* pool);

struct DqlParams {
  float scale = 0.0f;
  float zero_point = 0.0f;  // an integer in [0, 255], as float
};
DqlParams dql_params(MinMax range);

// The parameters of X's quantization for the whole batch: dql_min_max, combined with the other
// batch lanes' when this kernel runs in one (`lane` may be null), then dql_params.
DqlParams dql_batch_params(const float* x, int64_t n, bool avx512, ThreadPool* pool,
                           const LaneLink* lane);

// k floats to uint8 with `p` (all zeros when p.scale is 0).
void dql_quantize_row(const float* x, int64_t k, const DqlParams& p, uint8_t* out, bool avx512);

}  // namespace bog::runtime::cpu
