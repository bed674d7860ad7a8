#include "onnx_runtime/providers/cpu/cpu_provider.h"

#include <fmt/format.h>

#include <set>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/weight_arena.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/lane_reduction.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"
#include "onnx_runtime/providers/cpu/prepacked_weights.h"
#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"
#include "onnx_runtime/providers/reference/kernels/quant_contrib.h"

namespace bog::runtime {

CpuProvider::CpuProvider(int threads, Precision precision)
    : threads_(std::max(1, threads)),
      precision_(cpu_precision(precision)),
      pool_(std::make_shared<cpu::ThreadPool>(threads_)),
      weights_(std::make_shared<cpu::WeightArena>()),
      lane_(std::make_shared<cpu::LaneLink>()) {
  const auto fused = [this](const char* op) {
    fused_.add(KernelDef{op, kCpuFusedDomain, 1, 1 << 20, {}});
  };
  for (const char* op : {"FusedMatMul", "Attention", "Rope", "RmsNorm", "Gelu", "Silu", "KvAppend",
                         cpu::kDynamicQuantizeMatMul}) {
    fused(op);
  }
}

Claim CpuProvider::claims(const Node& node) const {
  if (node.domain == kCpuFusedDomain) {
    if (fused_.find(node.op_type, node.domain, node.opset)) return Claim::yes();
    return Claim::no(fmt::format("fused op {} unknown", node.op_type));
  }
  const Claim ref = reference_.claims(node);
  if (ref) return ref;
  return Claim::no(ref.reason);
}

void CpuProvider::join_lanes(std::shared_ptr<cpu::LaneReduction> reduction, int lane) {
  pool_->share_with_lanes(reduction->help(), lane);
  lane_->reduction = std::move(reduction);
  lane_->lane = lane;
}

KernelFn CpuProvider::create_kernel(const Node& node) const {
  if (node.domain == kCpuFusedDomain) {
    const std::string& op = node.op_type;
    if (op == "FusedMatMul") {
      const bool bf16 = precision_.used == Precision::kBf16;
      std::shared_ptr<const cpu::PackedWeight> pre;
      if (prepacked_ && node.inputs.size() > 1) {
        pre = prepacked_->find(node.inputs[1], node.attr_int("trans_w", 0) != 0, bf16);
      }
      return cpu::make_fused_matmul(node, pool_, bf16, weights_, std::move(pre));
    }
    if (op == "Attention") return cpu::make_attention_fused(node, pool_, kv_state_);
    if (op == "KvAppend") {
      if (!kv_state_) throw Error(ErrorCategory::kInvalidModel, "KvAppend without a KV cache");
      return cpu::make_kv_append(kv_state_);
    }
    if (op == "Rope") return cpu::make_rope_fused(pool_);
    if (op == "RmsNorm") return cpu::make_rms_norm_fused(pool_);
    if (op == "Gelu") return cpu::make_gelu_fused();
    if (op == "Silu") return cpu::make_silu_fused();
    if (op == cpu::kDynamicQuantizeMatMul) {
      return cpu::make_dynamic_quantize_matmul(node, pool_, cpu::best_int8_isa(), lane_);
    }
    throw Error(ErrorCategory::kUnsupported, fmt::format("cpu: fused op {} unknown", op));
  }
  KernelFn ref = reference_.create_kernel(node);
  if (node.op_type == "MatMulNBits" && node.domain == ref::kMsDomain) {
    return cpu::make_matmul_nbits(threads_, std::move(ref));
  }
  if (!node.domain.empty()) return ref;
  const std::string& op = node.op_type;
  if (op == "MatMul") return cpu::make_matmul(threads_, std::move(ref));
  if (op == "Gemm") return cpu::make_gemm(threads_, std::move(ref));
  if (op == "Softmax" || op == "LogSoftmax") return cpu::make_softmax(std::move(ref));
  if (op == "LayerNormalization") return cpu::make_layer_normalization(std::move(ref));
  if (op == "Sigmoid") return cpu::make_sigmoid(std::move(ref));
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    return cpu::make_binary(op, std::move(ref));
  }
  if (op == "Gather") return cpu::make_gather(std::move(ref));
  if (op == "DequantizeLinear") return cpu::make_dequantize_linear(node, std::move(ref));
  if (op == "DynamicQuantizeLinear") {
    return cpu::make_dynamic_quantize_linear(pool_, cpu::best_int8_isa(), lane_, std::move(ref));
  }
  if (op == "Transpose") return cpu::make_transpose(std::move(ref), pool_);
  if (op == "Cast") return cpu::make_cast(std::move(ref));
  if (op == "Concat") return cpu::make_concat(std::move(ref));
  if (op == "ReduceSum" || op == "ReduceMean") return cpu::make_reduce(std::move(ref));
  if (op == "Expand") return cpu::make_expand(std::move(ref));
  if (op == "Where") return cpu::make_where(std::move(ref));
  static const std::set<std::string> kViews = {"Reshape", "Flatten", "Squeeze", "Unsqueeze",
                                               "Identity"};
  if (kViews.count(op)) return cpu::make_view(std::move(ref));
  return ref;
}

void CpuProvider::optimize(Graph& graph) {
  pass_counts_ = {
      {"fuse_dynamic_quantize_matmul", cpu::fuse_dynamic_quantize_matmul(graph, name())}};
  for (auto& pc : cpu::run_fusion_passes(graph, name(), reference_)) {
    pass_counts_.push_back(std::move(pc));
  }
  if (kv_state_)
    pass_counts_.push_back({"fuse_kv_append", cpu::fuse_kv_append(graph, name(), *kv_state_)});
}

}  // namespace bog::runtime
