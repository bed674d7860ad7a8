// Block-wide reductions shared by the row kernels (norms, softmax, attention): warp shuffles,
// then one partial per warp in shared memory. Device code only (include from .cu files).
#pragma once

#include <cuda_runtime.h>

namespace bog::runtime::cuda {

enum class Combine { kSum, kMax };

// Reduces v over a block of kBlock threads (a multiple of 32); every thread gets the result.
template <Combine kOp, int kBlock>
__device__ float block_reduce(float v) {
  __shared__ float partial[kBlock / 32];
  for (int off = 16; off > 0; off /= 2) {
    const float o = __shfl_xor_sync(0xffffffffu, v, off);
    v = kOp == Combine::kSum ? v + o : fmaxf(v, o);
  }
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  float r = kOp == Combine::kSum ? 0.0f : -INFINITY;
  for (int w = 0; w < kBlock / 32; ++w) {
    r = kOp == Combine::kSum ? r + partial[w] : fmaxf(r, partial[w]);
  }
  __syncthreads();  // partial is reused by the next reduction
  return r;
}

}  // namespace bog::runtime::cuda
