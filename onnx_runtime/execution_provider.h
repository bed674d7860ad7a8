// The provider interface (modelled on ONNX Runtime's IExecutionProvider): a provider says which
// nodes it can run; the Session, not the provider, decides placement.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/kernel.h"
#include "onnx_runtime/placement_report.h"
#include "onnx_runtime/precision.h"

namespace bog::runtime {

// The answer to "can you run this node?": yes, or no with a reason for the placement report.
struct Claim {
  bool claimed = false;
  std::string reason;  // why not, e.g. "op NonMaxSuppression not claimed"
  static Claim yes() { return {true, {}}; }
  static Claim no(std::string why) { return {false, std::move(why)}; }
  explicit operator bool() const { return claimed; }
};

class ExecutionProvider {
 public:
  virtual ~ExecutionProvider() = default;

  virtual std::string name() const = 0;
  // False when the provider was built but cannot run here (e.g. no CUDA device).
  virtual bool available() const { return true; }
  virtual std::string unavailable_reason() const { return {}; }

  // Op type, domain, opset range and (where known) dtypes.
  virtual Claim claims(const Node& node) const = 0;

  // The provider's own graph passes (fusions) over the nodes placed on it. (optional)
  virtual void optimize(Graph& /*graph*/) {}
  // What the last optimize() did: one entry per pass, e.g. {"fuse_attention", 2}. (optional)
  struct PassCount {
    std::string pass;
    int rewrites = 0;
  };
  virtual std::vector<PassCount> pass_counts() const { return {}; }
  // After the final placement, before any kernel is made: pack the constants this provider's
  // kernels read and release the initializers that only they read (ONNX Runtime's PrePack).
  // Runs in every session, optimized or not. (optional)
  virtual void prepack(Graph& /*graph*/) {}

  // Kernel for a claimed node; called once per node at session creation.
  virtual KernelFn create_kernel(const Node& node) const = 0;

  // Device of the tensors this provider reads and writes. Non-CPU providers also override
  // the copies; the session inserts them only at provider boundaries.
  virtual Device device() const { return Device::kCpu; }
  virtual Tensor to_device(const Tensor& host) const { return host.clone(); }
  virtual Tensor to_host(const Tensor& device_tensor) const { return device_tensor.clone(); }
  // Copies this provider made since it was created (zero for CPU providers). (optional)
  virtual TransferCounts transfers() const { return {}; }
};

// "reference", "cpu", "cuda": the providers this build knows. Error(kInvalidArgument) for
// an unknown name; a known provider that cannot run here is returned with available() false.
// `threads` is used by providers that run threads (cpu), `precision` by the cpu provider.
std::shared_ptr<ExecutionProvider> make_provider(const std::string& name, int threads = 1,
                                                 Precision precision = Precision::kFp32);
// Process-wide: whether the cuda provider may use TF32 tensor cores for MatMul/Gemm (off by
// default, so results match fp32 to 1e-4). Read when a cuda provider is made; the CLI's
// --allow-tf32 sets it.
void set_allow_tf32(bool allow);
bool allow_tf32();
std::vector<std::string> known_provider_names();

}  // namespace bog::runtime
