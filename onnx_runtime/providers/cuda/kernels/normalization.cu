// Row reductions of the cuda provider: LayerNormalization, RMSNormalization and Softmax.
// One block per row; partial sums in fp32, combined with warp shuffles then shared memory.
#include <cuda_runtime.h>

#include "onnx_runtime/providers/cuda/kernels/block_reduce.cuh"
#include "onnx_runtime/providers/cuda/kernels/launch.h"

namespace bog::runtime::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void layer_norm_kernel(const float* x, const float* scale, const float* bias,
                                  float* y, float* mean_out, float* inv_std_out, int64_t cols,
                                  float eps) {
  const float* row = x + blockIdx.x * cols;
  float* out = y + blockIdx.x * cols;
  float s = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) s += row[c];
  const float mean = block_reduce<Combine::kSum, kThreads>(s) / static_cast<float>(cols);
  // Two passes (mean, then squared deviations): no cancellation as in E[x^2] - E[x]^2.
  float q = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float d = row[c] - mean;
    q += d * d;
  }
  const float var = block_reduce<Combine::kSum, kThreads>(q) / static_cast<float>(cols);
  const float inv = rsqrtf(var + eps);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float v = (row[c] - mean) * inv * scale[c];
    out[c] = bias != nullptr ? v + bias[c] : v;
  }
  if (threadIdx.x == 0) {
    if (mean_out != nullptr) mean_out[blockIdx.x] = mean;
    if (inv_std_out != nullptr) inv_std_out[blockIdx.x] = inv;
  }
}

__global__ void rms_norm_kernel(const float* x, const float* scale, int64_t scale_stride, float* y,
                                int64_t cols, float eps) {
  const float* row = x + blockIdx.x * cols;
  float* out = y + blockIdx.x * cols;
  float q = 0.0f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) q += row[c] * row[c];
  const float inv =
      rsqrtf(block_reduce<Combine::kSum, kThreads>(q) / static_cast<float>(cols) + eps);
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    out[c] = row[c] * inv * (scale != nullptr ? scale[c * scale_stride] : 1.0f);
  }
}

// Block b handles the row (outer = b / inner, inner = b % inner) whose elements are `inner`
// apart. Subtracting the row max before exp keeps every exp() <= 1 (no overflow).
__global__ void softmax_kernel(const float* x, float* y, int64_t axis_dim, int64_t inner,
                               bool log) {
  const int64_t o = blockIdx.x / inner;
  const int64_t in = blockIdx.x % inner;
  const float* row = x + o * axis_dim * inner + in;
  float* out = y + o * axis_dim * inner + in;
  float m = -INFINITY;
  for (int64_t c = threadIdx.x; c < axis_dim; c += blockDim.x) m = fmaxf(m, row[c * inner]);
  m = block_reduce<Combine::kMax, kThreads>(m);
  float s = 0.0f;
  for (int64_t c = threadIdx.x; c < axis_dim; c += blockDim.x) s += expf(row[c * inner] - m);
  s = block_reduce<Combine::kSum, kThreads>(s);
  const float log_s = logf(s);
  for (int64_t c = threadIdx.x; c < axis_dim; c += blockDim.x) {
    const float z = row[c * inner] - m;
    out[c * inner] = log ? z - log_s : expf(z) / s;
  }
}

}  // namespace

void launch_layer_norm(const float* x, const float* scale, const float* bias, float* y,
                       float* mean, float* inv_std, int64_t rows, int64_t cols, float eps,
                       void* stream) {
  if (rows == 0 || cols == 0) return;
  layer_norm_kernel<<<static_cast<unsigned>(rows), kThreads, 0,
                      static_cast<cudaStream_t>(stream)>>>(x, scale, bias, y, mean, inv_std,
                                                          cols, eps);
}

void launch_rms_norm(const float* x, const float* scale, int64_t scale_stride, float* y,
                     int64_t rows, int64_t cols, float eps, void* stream) {
  if (rows == 0 || cols == 0) return;
  rms_norm_kernel<<<static_cast<unsigned>(rows), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      x, scale, scale_stride, y, cols, eps);
}

void launch_softmax(const float* x, float* y, int64_t outer, int64_t axis_dim, int64_t inner,
                    bool log, void* stream) {
  if (outer == 0 || axis_dim == 0 || inner == 0) return;
  softmax_kernel<<<static_cast<unsigned>(outer * inner), kThreads, 0,
                   static_cast<cudaStream_t>(stream)>>>(x, y, axis_dim, inner, log);
}

}  // namespace bog::runtime::cuda
