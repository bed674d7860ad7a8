// Rotary embedding on the device. ONNX RotaryEmbedding (opset 23): rotates the first `rot`
// features of each head by the angle whose cos/sin the caches hold; features past `rot` pass
// through. Rope (bog.cpu): the rotate-half form with full-width, broadcast cos/sin tables.
#include <cuda_runtime.h>

#include "onnx_runtime/providers/cuda/kernels/launch.h"

namespace bog::runtime::cuda {
namespace {

constexpr int kThreads = 256;

// One thread per (b, s, h, feature); features in [rot/2, rot) are written by their pair.
__global__ void rotary_kernel(const float* x, const float* cos_cache, const float* sin_cache,
                              const int64_t* position_ids, float* y, RotaryShape r, int* error) {
  const int64_t n = r.batch * r.seq * r.heads * r.head;
  const int64_t half = r.rot / 2;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    const int64_t f = i % r.head;
    const int64_t h = (i / r.head) % r.heads;
    const int64_t s = (i / (r.head * r.heads)) % r.seq;
    const int64_t b = i / (r.head * r.heads * r.seq);
    const int64_t base = b * r.stride_b + s * r.stride_s + h * r.stride_h;
    if (f >= r.rot) {
      y[base + f] = x[base + f];
      continue;
    }
    if (f >= half) continue;
    int64_t row = b * r.seq + s;
    if (position_ids != nullptr) {
      row = position_ids[b * r.seq + s];
      if (row < 0 || row >= r.max_pos) {
        *error = 1;
        y[base + f] = 0.0f;
        continue;
      }
    }
    const float c = cos_cache[row * half + f];
    const float sn = sin_cache[row * half + f];
    const int64_t i1 = r.interleaved ? 2 * f : f;
    const int64_t i2 = r.interleaved ? 2 * f + 1 : f + half;
    const float x1 = x[base + i1];
    const float x2 = x[base + i2];
    y[base + i1] = x1 * c - x2 * sn;
    y[base + i2] = x2 * c + x1 * sn;
  }
}

// One thread per element of x; the row's table offsets come from its leading indices.
__global__ void rope_halves_kernel(const float* x, const float* cos, const float* sin, float* y,
                                   RopeShape r) {
  const int64_t n = r.rows * r.d;
  const int64_t half = r.d / 2;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    const int64_t f = i % r.d;
    int64_t row = i / r.d;
    int64_t oc = 0;
    int64_t os = 0;
    for (int a = r.lead_rank - 1; a >= 0; --a) {
      const int64_t idx = row % r.dims[a];
      row /= r.dims[a];
      oc += idx * r.cos_strides[a];
      os += idx * r.sin_strides[a];
    }
    const float partner = f < half ? -x[i + half] : x[i - half];
    y[i] = x[i] * cos[oc * r.d + f] + partner * sin[os * r.d + f];
  }
}

}  // namespace

void launch_rope_halves(const float* x, const float* cos, const float* sin, float* y,
                        const RopeShape& shape, void* stream) {
  const int64_t n = shape.rows * shape.d;
  if (n == 0) return;
  int64_t blocks = (n + kThreads - 1) / kThreads;
  if (blocks > 4096) blocks = 4096;
  rope_halves_kernel<<<static_cast<unsigned>(blocks), kThreads, 0,
                       static_cast<cudaStream_t>(stream)>>>(x, cos, sin, y, shape);
}

void launch_rotary(const float* x, const float* cos_cache, const float* sin_cache,
                   const int64_t* position_ids, float* y, const RotaryShape& shape,
                   int* error_flag, void* stream) {
  const int64_t n = shape.batch * shape.seq * shape.heads * shape.head;
  if (n == 0) return;
  int64_t blocks = (n + kThreads - 1) / kThreads;
  if (blocks > 4096) blocks = 4096;
  rotary_kernel<<<static_cast<unsigned>(blocks), kThreads, 0,
                  static_cast<cudaStream_t>(stream)>>>(x, cos_cache, sin_cache, position_ids, y,
                                                       shape, error_flag);
}

}  // namespace bog::runtime::cuda
