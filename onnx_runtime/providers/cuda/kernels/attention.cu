// Fused attention (bog.cpu Attention) on the device: one block per (batch, head, query row).
// The query row and the row's scores live in shared memory; scores are scaled, biased (causal
// and padding masks), soft-maxed with the row max subtracted, and multiplied by V straight
// into the output layout. The [B, H, Tq, Tk] score tensor never exists in global memory.
#include <cuda_runtime.h>

#include "onnx_runtime/providers/cuda/kernels/block_reduce.cuh"
#include "onnx_runtime/providers/cuda/kernels/launch.h"

namespace bog::runtime::cuda {
namespace {

constexpr int kThreads = 128;

__global__ void attention_kernel(const float* q, const float* k, const float* v, const float* bias,
                                 float* out, AttentionShape s) {
  extern __shared__ float smem[];
  float* q_row = smem;             // [d]
  float* scores = smem + s.d;      // [tk]
  const int64_t row = blockIdx.x;  // (b * heads + h) * tq + i
  const int64_t i = row % s.tq;
  const int64_t h = (row / s.tq) % s.heads;
  const int64_t b = row / (s.tq * s.heads);
  const int64_t kvh = h / (s.heads / s.kv_heads);
  const int64_t vh = h / (s.heads / s.v_heads);
  for (int64_t c = threadIdx.x; c < s.d; c += blockDim.x) q_row[c] = q[row * s.d + c];
  __syncthreads();

  const float* kh = k + (b * s.kv_heads + kvh) * s.tk * s.d;
  const float* bias_row =
      bias != nullptr ? bias + b * s.bias_sb + h * s.bias_sh + i * s.bias_sq : nullptr;
  float mx = -INFINITY;
  for (int64_t j = threadIdx.x; j < s.tk; j += blockDim.x) {
    float acc = 0.0f;
    if (s.k_transposed) {
      for (int64_t c = 0; c < s.d; ++c) acc += q_row[c] * kh[c * s.tk + j];
    } else {
      for (int64_t c = 0; c < s.d; ++c) acc += q_row[c] * kh[j * s.d + c];
    }
    float score = acc * s.scale;
    if (bias_row != nullptr) score += bias_row[j * s.bias_sk];
    scores[j] = score;
    mx = fmaxf(mx, score);
  }
  mx = block_reduce<Combine::kMax, kThreads>(mx);
  float sum = 0.0f;
  for (int64_t j = threadIdx.x; j < s.tk; j += blockDim.x) {
    const float e = expf(scores[j] - mx);
    scores[j] = e;
    sum += e;
  }
  sum = block_reduce<Combine::kSum, kThreads>(sum);  // its barrier publishes every score
  const float inv = s.tk > 0 ? 1.0f / sum : 0.0f;

  const float* vhp = v + (b * s.v_heads + vh) * s.tk * s.dv;
  float* o = s.merged ? out + ((b * s.tq + i) * s.heads + h) * s.dv : out + row * s.dv;
  for (int64_t c = threadIdx.x; c < s.dv; c += blockDim.x) {
    float acc = 0.0f;
    for (int64_t j = 0; j < s.tk; ++j) acc += scores[j] * vhp[j * s.dv + c];
    o[c] = acc * inv;
  }
}

}  // namespace

void launch_attention(const float* q, const float* k, const float* v, const float* bias, float* out,
                      const AttentionShape& shape, void* stream) {
  const int64_t rows = shape.batch * shape.heads * shape.tq;
  if (rows == 0 || shape.dv == 0) return;
  const size_t smem = static_cast<size_t>(shape.d + shape.tk) * sizeof(float);
  attention_kernel<<<static_cast<unsigned>(rows), kThreads, smem,
                     static_cast<cudaStream_t>(stream)>>>(q, k, v, bias, out, shape);
}

}  // namespace bog::runtime::cuda
