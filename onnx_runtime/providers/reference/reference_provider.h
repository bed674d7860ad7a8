// The reference provider: the specification. Plain loops, one file per op family, no fusion,
// no threads. Every optimized kernel elsewhere is tested against these.
#pragma once

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/kernel.h"

namespace bog::runtime {

class ReferenceProvider : public ExecutionProvider {
 public:
  ReferenceProvider();
  std::string name() const override { return "reference"; }
  Claim claims(const Node& node) const override;
  KernelFn create_kernel(const Node& node) const override;
  const KernelRegistry& registry() const { return registry_; }

 private:
  KernelRegistry registry_;
};

}  // namespace bog::runtime
