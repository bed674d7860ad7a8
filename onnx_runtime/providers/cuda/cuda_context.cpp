#include "onnx_runtime/providers/cuda/cuda_context.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include "common/error.h"

namespace bog::runtime::cuda {

struct CudaContext::State {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  ~State() {
    if (cublas != nullptr) cublasDestroy(cublas);
    if (stream != nullptr) {
      cudaStreamSynchronize(stream);
      cudaStreamDestroy(stream);
    }
  }
};

void check_cuda(int status, const char* what) {
  if (status == cudaSuccess) return;
  const auto e = static_cast<cudaError_t>(status);
  throw Error(ErrorCategory::kInternal,
              fmt::format("cuda: {} failed: {} ({})", what, cudaGetErrorString(e), status));
}

void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel); }

CudaContext::CudaContext(bool allow_tf32)
    : state_(std::make_shared<State>()), allow_tf32_(allow_tf32) {
  auto unavailable = [](const char* what, int status) {
    return Error(ErrorCategory::kProviderUnavailable,
                 fmt::format("cuda: {}: {}", what,
                             cudaGetErrorString(static_cast<cudaError_t>(status))));
  };
  if (const cudaError_t e = cudaSetDevice(0); e != cudaSuccess) {
    throw unavailable("cannot select device 0", e);
  }
  if (const cudaError_t e = cudaStreamCreateWithFlags(&state_->stream, cudaStreamNonBlocking);
      e != cudaSuccess) {
    throw unavailable("cannot create a stream", e);
  }
  if (cublasCreate(&state_->cublas) != CUBLAS_STATUS_SUCCESS) {
    throw Error(ErrorCategory::kProviderUnavailable, "cuda: cannot create a cuBLAS handle");
  }
  cublasSetStream(state_->cublas, state_->stream);
  // CUBLAS_DEFAULT_MATH keeps fp32 GEMMs in fp32 (no TF32) so parity holds at 1e-4.
  cublasSetMathMode(state_->cublas,
                    allow_tf32_ ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
}

CudaContext::~CudaContext() = default;

void* CudaContext::stream() const { return state_->stream; }
void* CudaContext::cublas() const { return state_->cublas; }

Tensor CudaContext::allocate(DType dtype, Shape shape) const {
  Tensor probe_shape = Tensor::borrow(dtype, shape, nullptr);  // validates dims, no storage
  const size_t bytes = std::max<size_t>(probe_shape.nbytes(), 1);
  void* p = nullptr;
  if (cudaMallocAsync(&p, bytes, state_->stream) != cudaSuccess) {
    (void)cudaGetLastError();
    throw Error(ErrorCategory::kIo,
                fmt::format("cuda: out of device memory allocating {} bytes for {} {}", bytes,
                            dtype_name(dtype), shape_to_string(shape)));
  }
  // The deleter keeps the stream alive and frees in stream order, after pending kernels.
  std::shared_ptr<State> state = state_;
  std::shared_ptr<void> owner(p, [state](void* q) { cudaFreeAsync(q, state->stream); });
  return Tensor::adopt(dtype, std::move(shape), Device::kCuda, std::move(owner));
}

Tensor CudaContext::to_device(const Tensor& host) const {
  if (host.dtype() == DType::kString) {
    throw Error(ErrorCategory::kUnsupported, "cuda: string tensors cannot live on the device");
  }
  Tensor d = allocate(host.dtype(), host.shape());
  if (host.nbytes() > 0) {
    check_cuda(cudaMemcpyAsync(d.raw(), host.raw(), host.nbytes(), cudaMemcpyHostToDevice,
                               state_->stream),
               "host-to-device copy");
    // The host buffer may be freed as soon as we return.
    check_cuda(cudaStreamSynchronize(state_->stream), "host-to-device copy");
  }
  ++h2d_;
  h2d_bytes_ += static_cast<int64_t>(host.nbytes());
  return d;
}

Tensor CudaContext::to_host(const Tensor& device_tensor) const {
  Tensor h(device_tensor.dtype(), device_tensor.shape());
  read_back(device_tensor, h.raw());
  ++d2h_;
  d2h_bytes_ += static_cast<int64_t>(h.nbytes());
  return h;
}

void CudaContext::read_back(const Tensor& device_tensor, void* dst) const {
  if (device_tensor.nbytes() == 0) return;
  check_cuda(cudaMemcpyAsync(dst, device_tensor.raw(), device_tensor.nbytes(),
                             cudaMemcpyDeviceToHost, state_->stream),
             "device-to-host copy");
  check_cuda(cudaStreamSynchronize(state_->stream), "device-to-host copy");
}

TransferCounts CudaContext::transfers() const {
  return {h2d_.load(), d2h_.load(), h2d_bytes_.load(), d2h_bytes_.load()};
}

}  // namespace bog::runtime::cuda
