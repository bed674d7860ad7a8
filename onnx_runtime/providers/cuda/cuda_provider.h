// The cuda provider: cuBLAS GEMMs and own kernels for the standard ONNX ops of small
// transformers, on device-resident tensors. Built only with the CUDA toolkit (BOG_CUDA);
// available() only where a driver and an sm_80+ device are found at run time.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/kernel.h"
#include "onnx_runtime/providers/reference/reference_provider.h"

namespace bog::runtime {

namespace cuda {
class CudaContext;
class ConstantStore;
struct OpEnv;
}  // namespace cuda

class CudaProvider : public ExecutionProvider {
 public:
  // Never throws: without a usable device the provider is made unavailable with the reason.
  explicit CudaProvider(bool allow_tf32 = false);
  ~CudaProvider() override;

  std::string name() const override { return "cuda"; }
  bool available() const override { return reason_.empty(); }
  std::string unavailable_reason() const override { return reason_; }
  Claim claims(const Node& node) const override;
  // Runs the shared fusion passes (cpu/passes, run_fusion_passes) over the nodes placed on
  // cuda, so they become the same fused bog.cpu node types the cpu provider runs; then records
  // the graph's initializers (uploaded once, then kept on the device) and its outputs (handed
  // back on the host, so callers never see a device tensor).
  void optimize(Graph& graph) override;
  std::vector<PassCount> pass_counts() const override { return pass_counts_; }
  KernelFn create_kernel(const Node& node) const override;

  Device device() const override { return Device::kCuda; }
  Tensor to_device(const Tensor& host) const override;
  Tensor to_host(const Tensor& device_tensor) const override;
  TransferCounts transfers() const override;

  // Op types with a cuda kernel, e.g. for `bog doctor` and the kernel tests.
  std::vector<std::string> op_types() const { return registry_.op_types(); }

 private:
  void record(const Graph& graph);

  std::string reason_;
  std::unique_ptr<cuda::CudaContext> ctx_;
  std::unique_ptr<cuda::ConstantStore> constants_;
  std::unique_ptr<cuda::OpEnv> env_;
  KernelRegistry registry_;
  std::set<std::string> host_outputs_;  // graph (and subgraph) outputs
  std::vector<PassCount> pass_counts_;
  ReferenceProvider reference_;  // folds constants in the passes
};

}  // namespace bog::runtime
