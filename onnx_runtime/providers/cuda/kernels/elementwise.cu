// Elementwise and data-movement kernels of the cuda provider: unary math, broadcasting binary
// arithmetic, FusedMatMul's epilogue, strided copies (Transpose/Expand/Slice/Concat) and Gather.
// Grid-stride loops, so any n runs with a bounded grid.
#include <cuda_runtime.h>

#include "onnx_runtime/providers/cuda/kernels/launch.h"

namespace bog::runtime::cuda {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 4096 ? (b < 1 ? 1 : b) : 4096);
}

__device__ float apply_unary(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::kNeg: return -x;
    case UnaryOp::kAbs: return fabsf(x);
    case UnaryOp::kSqrt: return sqrtf(x);
    case UnaryOp::kReciprocal: return 1.0f / x;
    case UnaryOp::kExp: return expf(x);
    case UnaryOp::kLog: return logf(x);
    case UnaryOp::kTanh: return tanhf(x);
    case UnaryOp::kSigmoid: return 1.0f / (1.0f + expf(-x));
    case UnaryOp::kRelu: return x > 0.0f ? x : 0.0f;
    case UnaryOp::kErf: return erff(x);
    // Gelu (opset 20): exact form with erf, and the tanh approximation.
    case UnaryOp::kGelu: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case UnaryOp::kGeluTanh:
      return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case UnaryOp::kSilu:
      return x / (1.0f + expf(-x));
    case UnaryOp::kIdentity:
      return x;
  }
  return x;
}

__device__ float apply_binary(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kPow: return b == 2.0f ? a * a : powf(a, b);
  }
  return a;
}

// Offsets of output element i in the source and destination of a walk.
__device__ void walk_offsets(const StridedWalk& w, int64_t i, int64_t& src, int64_t& dst) {
  src = w.src_offset;
  dst = w.dst_offset;
  for (int a = w.rank - 1; a >= 0; --a) {
    const int64_t d = w.dims[a];
    const int64_t idx = i % d;
    i /= d;
    src += idx * w.src_strides[a];
    dst += idx * w.dst_strides[a];
  }
}

__global__ void unary_kernel(UnaryOp op, const float* x, float* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    y[i] = apply_unary(op, x[i]);
  }
}

__global__ void binary_kernel(BinaryOp op, const float* a, const float* b, float* y, int64_t n,
                              StridedWalk w) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    int64_t ia = 0;
    int64_t ib = 0;
    walk_offsets(w, i, ia, ib);
    y[i] = apply_binary(op, a[ia], b[ib]);
  }
}

__global__ void epilogue_kernel(float* y, int64_t n, int64_t cols, const float* bias, UnaryOp act,
                                const float* multiplier, const float* residual, StridedWalk w) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    float v = y[i];
    if (bias != nullptr) v += bias[i % cols];
    v = apply_unary(act, v);
    if (multiplier != nullptr) v *= multiplier[i];
    if (residual != nullptr) {
      int64_t r = 0;
      int64_t unused = 0;
      walk_offsets(w, i, r, unused);
      v += residual[r];
    }
    y[i] = v;
  }
}

template <class T>
__global__ void strided_copy_kernel(const T* src, T* dst, int64_t n, StridedWalk w) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    int64_t s = 0;
    int64_t d = 0;
    walk_offsets(w, i, s, d);
    dst[d] = src[s];
  }
}

template <class T>
__global__ void gather_kernel(const T* data, const int64_t* indices, T* out, int64_t outer,
                              int64_t axis_dim, int64_t inner, int64_t num_indices, int* error) {
  const int64_t n = outer * num_indices * inner;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    const int64_t in = i % inner;
    const int64_t k = (i / inner) % num_indices;
    const int64_t o = i / (inner * num_indices);
    int64_t idx = indices[k];
    if (idx < 0) idx += axis_dim;
    if (idx < 0 || idx >= axis_dim) {
      out[i] = T{};
      *error = 1;  // reported by the host as an invalid index, never read out of bounds
      continue;
    }
    out[i] = data[(o * axis_dim + idx) * inner + in];
  }
}

__global__ void widen_kernel(const int32_t* in, int64_t* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    out[i] = in[i];
  }
}

}  // namespace

void launch_unary(UnaryOp op, const float* x, float* y, int64_t n, void* stream) {
  if (n == 0) return;
  unary_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(op, x, y, n);
}

void launch_binary(BinaryOp op, const float* a, const float* b, float* y, int64_t n,
                   const StridedWalk& walk, void* stream) {
  if (n == 0) return;
  binary_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(op, a, b, y,
                                                                                   n, walk);
}

void launch_epilogue(float* y, int64_t rows, int64_t cols, const float* bias, UnaryOp act,
                     const float* multiplier, const float* residual,
                     const StridedWalk& residual_walk, void* stream) {
  const int64_t n = rows * cols;
  if (n == 0) return;
  epilogue_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      y, n, cols, bias, act, multiplier, residual, residual_walk);
}

void launch_strided_copy(const void* src, void* dst, int elem_size, int64_t n,
                         const StridedWalk& walk, void* stream) {
  if (n == 0) return;
  const auto s = static_cast<cudaStream_t>(stream);
  switch (elem_size) {
    case 1:
      strided_copy_kernel<<<blocks_for(n), kThreads, 0, s>>>(
          static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst), n, walk);
      break;
    case 2:
      strided_copy_kernel<<<blocks_for(n), kThreads, 0, s>>>(
          static_cast<const uint16_t*>(src), static_cast<uint16_t*>(dst), n, walk);
      break;
    case 4:
      strided_copy_kernel<<<blocks_for(n), kThreads, 0, s>>>(
          static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst), n, walk);
      break;
    default:
      strided_copy_kernel<<<blocks_for(n), kThreads, 0, s>>>(
          static_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst), n, walk);
      break;
  }
}

void launch_gather(const void* data, const int64_t* indices, void* out, int elem_size,
                   int64_t outer, int64_t axis_dim, int64_t inner, int64_t num_indices,
                   int* error_flag, void* stream) {
  const int64_t n = outer * num_indices * inner;
  if (n == 0) return;
  const auto s = static_cast<cudaStream_t>(stream);
  switch (elem_size) {
    case 1:
      gather_kernel<<<blocks_for(n), kThreads, 0, s>>>(
          static_cast<const uint8_t*>(data), indices, static_cast<uint8_t*>(out), outer,
          axis_dim, inner, num_indices, error_flag);
      break;
    case 2:
      gather_kernel<<<blocks_for(n), kThreads, 0, s>>>(
          static_cast<const uint16_t*>(data), indices, static_cast<uint16_t*>(out), outer,
          axis_dim, inner, num_indices, error_flag);
      break;
    case 4:
      gather_kernel<<<blocks_for(n), kThreads, 0, s>>>(
          static_cast<const uint32_t*>(data), indices, static_cast<uint32_t*>(out), outer,
          axis_dim, inner, num_indices, error_flag);
      break;
    default:
      gather_kernel<<<blocks_for(n), kThreads, 0, s>>>(
          static_cast<const uint64_t*>(data), indices, static_cast<uint64_t*>(out), outer,
          axis_dim, inner, num_indices, error_flag);
      break;
  }
}

void launch_widen_indices(const int32_t* in, int64_t* out, int64_t n, void* stream) {
  if (n == 0) return;
  widen_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(in, out, n);
}

}  // namespace bog::runtime::cuda
