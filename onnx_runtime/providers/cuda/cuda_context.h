// The cuda provider's device state: one stream, one cuBLAS handle, stream-ordered device
// allocations (the driver's memory pool reuses freed blocks, so buffers freed after their last
// use are recycled), and the boundary copies, which are counted.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "onnx_runtime/placement_report.h"
#include "onnx_runtime/tensor.h"

namespace bog::runtime::cuda {

class CudaContext {
 public:
  // Selects device 0 and creates the stream and cuBLAS handle. Error(kProviderUnavailable)
  // when the runtime cannot (driver too old for this runtime, device busy, ...).
  explicit CudaContext(bool allow_tf32);
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  void* stream() const;  // cudaStream_t
  void* cublas() const;  // cublasHandle_t
  bool allow_tf32() const { return allow_tf32_; }

  // Device tensor, contents unspecified (kernels write every element).
  Tensor allocate(DType dtype, Shape shape) const;
  Tensor to_device(const Tensor& host) const;       // counted
  Tensor to_host(const Tensor& device_tensor) const;  // counted
  // Small control inputs (shapes, axes) read back for a kernel's set-up; not a boundary copy.
  void read_back(const Tensor& device_tensor, void* dst) const;
  TransferCounts transfers() const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with every allocation's deleter
  bool allow_tf32_;
  mutable std::atomic<int64_t> h2d_{0}, d2h_{0}, h2d_bytes_{0}, d2h_bytes_{0};
};

// Throws Error(kInternal) naming `what` when a CUDA runtime call failed (int = cudaError_t).
void check_cuda(int status, const char* what);
// After a kernel launch: launch errors (bad configuration) become Error(kInternal).
void check_launch(const char* kernel);

}  // namespace bog::runtime::cuda
