// The fused CPU provider: every op the reference provider has, with optimized float32 kernels
// (Eigen GEMM, threads) for the hot ones, plus graph passes that fold constants and fuse
// MatMul+Add, RMSNorm and GELU subgraphs into single session-internal ops (domain "bog.cpu",
// never written to an exported file). Non-float32 inputs run the reference kernel.
#pragma once

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/kernel.h"
#include "onnx_runtime/providers/reference/reference_provider.h"

namespace bog::runtime {

inline constexpr const char* kCpuFusedDomain = "bog.cpu";

class CpuProvider : public ExecutionProvider {
 public:
  explicit CpuProvider(int threads = 1);
  std::string name() const override { return "cpu"; }
  Claim claims(const Node& node) const override;
  void optimize(Graph& graph) override;
  std::vector<PassCount> pass_counts() const override { return pass_counts_; }
  KernelFn create_kernel(const Node& node) const override;
  int threads() const { return threads_; }

 private:
  int threads_;
  std::vector<PassCount> pass_counts_;
  KernelRegistry optimized_;
  ReferenceProvider reference_;
};

}  // namespace bog::runtime
