#include "onnx_runtime/providers/cuda/cuda_provider.h"

#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"
#include "onnx_runtime/providers/cuda/cuda_context.h"
#include "onnx_runtime/providers/cuda/cuda_ops.h"
#include "onnx_runtime/providers/cuda/cuda_probe.h"

namespace bog::runtime {

CudaProvider::CudaProvider(bool allow_tf32)
    : constants_(std::make_unique<cuda::ConstantStore>()),
      env_(std::make_unique<cuda::OpEnv>()) {
  reason_ = probe_cuda().unavailable_reason();
  if (reason_.empty()) {
    try {
      ctx_ = std::make_unique<cuda::CudaContext>(allow_tf32);
    } catch (const std::exception& e) {
      reason_ = e.what();
    }
  }
  env_->ctx = ctx_.get();
  env_->constants = constants_.get();
  cuda::register_elementwise_ops(registry_, env_.get());
  cuda::register_matmul_ops(registry_, env_.get());
  cuda::register_normalization_ops(registry_, env_.get());
  cuda::register_tensor_ops(registry_, env_.get());
  cuda::register_rotary_ops(registry_, env_.get());
  cuda::register_fused_matmul_ops(registry_, env_.get());
  cuda::register_attention_ops(registry_, env_.get());
  cuda::register_fused_row_ops(registry_, env_.get());
}

CudaProvider::~CudaProvider() = default;

Claim CudaProvider::claims(const Node& node) const {
  if (!available()) return Claim::no(reason_);
  if (registry_.find(node.op_type, node.domain, node.opset) != nullptr) return Claim::yes();
  return Claim::no(registry_.why_not(node.op_type, node.domain, node.opset));
}

void CudaProvider::record(const Graph& graph) {
  for (const auto& [name, tensor] : graph.initializers) constants_->add(name, tensor);
  for (const ValueInfo& v : graph.outputs) host_outputs_.insert(v.name);
  for (const Node& node : graph.nodes) {
    for (const Attribute& a : node.attributes) {
      if (a.g) record(*a.g);
      for (const auto& g : a.graphs) {
        if (g) record(*g);
      }
    }
  }
}

void CudaProvider::optimize(Graph& graph) {
  pass_counts_ = cpu::run_fusion_passes(graph, name(), reference_);
  record(graph);
}

KernelFn CudaProvider::create_kernel(const Node& node) const {
  if (!available()) {
    throw Error(ErrorCategory::kProviderUnavailable,
                fmt::format("cuda: cannot run {}: {}", node.op_type, reason_));
  }
  const KernelDef* def = registry_.find(node.op_type, node.domain, node.opset);
  if (def == nullptr) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("cuda: {}", registry_.why_not(node.op_type, node.domain, node.opset)));
  }
  std::vector<size_t> to_host_outputs;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (!node.outputs[i].empty() && host_outputs_.count(node.outputs[i])) {
      to_host_outputs.push_back(i);
    }
  }
  if (to_host_outputs.empty()) return def->compute;
  // Graph outputs leave the device here: the caller (or a control-flow op on another
  // provider) reads them on the host.
  return [this, compute = def->compute, to_host_outputs](KernelContext& k) {
    compute(k);
    for (const size_t i : to_host_outputs) {
      Value& v = k.outputs()[i];
      if (v.is_tensor() && v.tensor.defined() && v.tensor.device() == Device::kCuda) {
        v.tensor = ctx_->to_host(v.tensor);
      }
    }
  };
}

Tensor CudaProvider::to_device(const Tensor& host) const {
  if (!available()) {
    throw Error(ErrorCategory::kProviderUnavailable, fmt::format("cuda: {}", reason_));
  }
  if (const Tensor* cached = constants_->device_copy(host, *ctx_)) {
    return cached->view(host.shape());
  }
  return ctx_->to_device(host);
}

Tensor CudaProvider::to_host(const Tensor& device_tensor) const {
  if (device_tensor.device() == Device::kCpu) return device_tensor.clone();
  return ctx_->to_host(device_tensor);
}

TransferCounts CudaProvider::transfers() const {
  return ctx_ ? ctx_->transfers() : TransferCounts{};
}

}  // namespace bog::runtime
