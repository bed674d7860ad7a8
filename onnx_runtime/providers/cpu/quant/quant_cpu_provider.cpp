// with_quant_kernels: the cpu provider plus its quantized kernels, as a thin wrapper so the
// provider's own file needs no change (registration is one line in provider_factory.cpp).
#include <spdlog/spdlog.h>

#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"
#include "onnx_runtime/providers/reference/kernels/quant_contrib.h"

namespace bog::runtime::cpu {
namespace {

class QuantCpuProvider : public ExecutionProvider {
 public:
  QuantCpuProvider(std::shared_ptr<ExecutionProvider> inner, int threads)
      : inner_(std::move(inner)), threads_(std::max(1, threads)), isa_(best_int8_isa()) {}

  std::string name() const override { return inner_->name(); }
  bool available() const override { return inner_->available(); }
  std::string unavailable_reason() const override { return inner_->unavailable_reason(); }

  Claim claims(const Node& node) const override {
    if (is_fused(node)) return Claim::yes();
    return inner_->claims(node);
  }

  void optimize(Graph& graph) override {
    const int fused = fuse_dynamic_quantize_matmul(graph, name());
    spdlog::debug("cpu quant pass: fused {} DynamicQuantizeLinear->MatMulInteger chains ({})",
                  fused, int8_isa_name(isa_));
    inner_->optimize(graph);
  }

  KernelFn create_kernel(const Node& node) const override {
    if (is_fused(node)) return make_dynamic_quantize_matmul(threads_, isa_);
    if (node.op_type == "MatMulNBits" && node.domain == ref::kMsDomain) {
      return make_matmul_nbits(threads_, inner_->create_kernel(node));
    }
    return inner_->create_kernel(node);
  }

  Device device() const override { return inner_->device(); }
  Tensor to_device(const Tensor& host) const override { return inner_->to_device(host); }
  Tensor to_host(const Tensor& t) const override { return inner_->to_host(t); }

 private:
  static bool is_fused(const Node& node) {
    return node.domain == kQuantFusedDomain && node.op_type == kDynamicQuantizeMatMul;
  }
  std::shared_ptr<ExecutionProvider> inner_;
  int threads_;
  Int8Isa isa_;
};

}  // namespace

std::shared_ptr<ExecutionProvider> with_quant_kernels(std::shared_ptr<ExecutionProvider> cpu,
                                                      int threads) {
  return std::make_shared<QuantCpuProvider>(std::move(cpu), threads);
}

}  // namespace bog::runtime::cpu
