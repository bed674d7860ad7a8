#include "onnx_runtime/providers/reference/reference_provider.h"

#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/families.h"

namespace bog::runtime {

ReferenceProvider::ReferenceProvider() {
  register_elementwise_kernels(registry_);
  register_tensor_kernels(registry_);
  register_nn_kernels(registry_);
  register_control_flow_kernels(registry_);
  register_advanced_kernels(registry_);
}

Claim ReferenceProvider::claims(const Node& node) const {
  if (registry_.find(node.op_type, node.domain, node.opset) != nullptr) return Claim::yes();
  return Claim::no(registry_.why_not(node.op_type, node.domain, node.opset));
}

KernelFn ReferenceProvider::create_kernel(const Node& node) const {
  const KernelDef* def = registry_.find(node.op_type, node.domain, node.opset);
  if (def == nullptr) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("reference: {}", registry_.why_not(node.op_type, node.domain, node.opset)));
  }
  return def->compute;
}

}  // namespace bog::runtime
