#include "onnx_runtime/providers/cpu/cpu_provider.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"

namespace bog::runtime {
namespace {

// Ops with an optimized float32 kernel; the reference kernel serves the other dtypes/forms.
const std::vector<std::string>& optimized_ops() {
  static const std::vector<std::string> kOps = {
      "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Softmax", "LogSoftmax", "LayerNormalization",
      "Sigmoid"};
  return kOps;
}

}  // namespace

CpuProvider::CpuProvider(int threads) : threads_(std::max(1, threads)) {
  const auto fused = [this](const char* op, KernelFn fn) {
    optimized_.add(KernelDef{op, kCpuFusedDomain, 1, 1 << 20, std::move(fn)});
  };
  fused("FusedMatMulAdd", cpu::make_fused_matmul_add(threads_));
  fused("RmsNorm", cpu::make_rms_norm_fused());
  fused("Gelu", cpu::make_gelu_fused());
}

Claim CpuProvider::claims(const Node& node) const {
  if (node.domain == kCpuFusedDomain) {
    if (optimized_.find(node.op_type, node.domain, node.opset)) return Claim::yes();
    return Claim::no(fmt::format("fused op {} unknown", node.op_type));
  }
  const Claim ref = reference_.claims(node);
  if (ref) return ref;
  return Claim::no(ref.reason);
}

KernelFn CpuProvider::create_kernel(const Node& node) const {
  if (node.domain == kCpuFusedDomain) {
    const KernelDef* def = optimized_.find(node.op_type, node.domain, node.opset);
    if (!def) {
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("cpu: fused op {} unknown", node.op_type));
    }
    return def->compute;
  }
  KernelFn ref = reference_.create_kernel(node);
  const auto& ops = optimized_ops();
  if (!node.domain.empty() || std::find(ops.begin(), ops.end(), node.op_type) == ops.end()) {
    return ref;
  }
  if (node.op_type == "MatMul") return cpu::make_matmul(threads_, std::move(ref));
  if (node.op_type == "Gemm") return cpu::make_gemm(threads_, std::move(ref));
  if (node.op_type == "Softmax" || node.op_type == "LogSoftmax") {
    return cpu::make_softmax(std::move(ref));
  }
  if (node.op_type == "LayerNormalization") return cpu::make_layer_normalization(std::move(ref));
  if (node.op_type == "Sigmoid") return cpu::make_sigmoid(std::move(ref));
  return cpu::make_binary(node.op_type, std::move(ref));
}

void CpuProvider::optimize(Graph& graph) {
  const int folded = cpu::fold_constants(graph, reference_);
  const int rms = cpu::fuse_rms_norm(graph);
  const int gelu = cpu::fuse_gelu(graph);
  const int mm = cpu::fuse_matmul_add(graph);
  pass_counts_ = {{"fold_constants", folded},
                  {"fuse_rms_norm", rms},
                  {"fuse_gelu", gelu},
                  {"fuse_matmul_add", mm}};
  spdlog::debug("cpu passes: folded {} constant nodes, fused {} RmsNorm, {} Gelu, {} MatMul+Add",
                folded, rms, gelu, mm);
}

}  // namespace bog::runtime
