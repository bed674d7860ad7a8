// FusedMatMul (domain bog.cpu), the fuse_matmul pass's node: Y = act(A · W + bias) * multiplier
// + residual, as one cuBLAS GEMM and one epilogue kernel over its result. Inputs: A [..., K],
// W [K, N] ([N, K] with trans_w=1), bias [N]?, residual (broadcasting to [..., N])?,
// multiplier [..., N]?. Attribute activation: "" | "relu" | "gelu_erf" | "gelu_tanh" | "silu".
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cuda/cuda_ops.h"

namespace bog::runtime::cuda {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("FusedMatMul node '{}': {}", node.name, what));
}

UnaryOp activation_of(const Node& node) {
  const std::string name = node.attr_string("activation", "");
  if (name.empty() || name == "none") return UnaryOp::kIdentity;
  if (name == "relu") return UnaryOp::kRelu;
  if (name == "gelu_erf") return UnaryOp::kGelu;
  if (name == "gelu_tanh") return UnaryOp::kGeluTanh;
  if (name == "silu") return UnaryOp::kSilu;
  fail(node, fmt::format("unknown fused activation '{}'", name));
}

// The residual's offsets over the output (numpy broadcast, right-aligned) as a walk.
StridedWalk residual_walk(const Node& node, const Tensor& r, const Shape& out) {
  if (r.shape().size() > out.size()) {
    fail(node, fmt::format("residual {} does not broadcast into the output {}",
                           shape_to_string(r.shape()), shape_to_string(out)));
  }
  StridedWalk w;
  w.rank = static_cast<int>(out.size());
  std::copy(out.begin(), out.end(), w.dims);
  int64_t acc = 1;
  for (size_t i = 0; i < r.shape().size(); ++i) {
    const size_t ri = r.shape().size() - 1 - i;
    const size_t oi = out.size() - 1 - i;
    const int64_t d = r.shape()[ri];
    if (d != 1 && d != out[oi]) {
      fail(node, fmt::format("residual {} does not broadcast into the output {}",
                             shape_to_string(r.shape()), shape_to_string(out)));
    }
    w.src_strides[oi] = d == 1 ? 0 : acc;
    acc *= d;
  }
  return w;
}

void compute_fused_matmul(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  for (size_t i = 0; i < 2; ++i) require_float(k.input(i), node, i);
  const Tensor& a = k.input(0);
  const Tensor& w = k.input(1);
  if (w.rank() != 2 || a.rank() < 1 || a.rank() > kMaxRank) {
    fail(node, "expects float32 A of rank 1-8 and a 2-D float32 weight");
  }
  const bool trans_w = node.attr_int("trans_w", 0) != 0;
  const UnaryOp act = activation_of(node);
  const int64_t kdim = trans_w ? w.dim(1) : w.dim(0);
  const int64_t cols = trans_w ? w.dim(0) : w.dim(1);
  if (a.shape().back() != kdim) {
    fail(node, fmt::format("A {} does not match weight {}", shape_to_string(a.shape()),
                           shape_to_string(w.shape())));
  }
  Shape out = a.shape();
  out.back() = cols;
  const int64_t rows = dims_product(a.shape(), 0, a.shape().size() - 1);
  const float* bias = nullptr;
  if (k.has_input(2)) {
    require_float(k.input(2), node, 2);
    if (k.input(2).numel() != cols) fail(node, "bias must hold one float32 per output column");
    bias = k.input(2).data<float>();
  }
  const float* residual = nullptr;
  StridedWalk walk;
  if (k.has_input(3)) {
    require_float(k.input(3), node, 3);
    walk = residual_walk(node, k.input(3), out);
    residual = k.input(3).data<float>();
  }
  const float* multiplier = nullptr;
  if (k.has_input(4)) {
    if (!k.input(4).same_layout(DType::kFloat32, out)) {
      fail(node, fmt::format("input 4 has shape {}, expected {}",
                             shape_to_string(k.input(4).shape()), shape_to_string(out)));
    }
    multiplier = k.input(4).data<float>();
  }
  Tensor& y = allocate_output(k, env, 0, DType::kFloat32, out);
  if (y.numel() == 0) return;
  const auto stream = static_cast<cudaStream_t>(env.ctx->stream());
  if (kdim == 0) {
    check_cuda(cudaMemsetAsync(y.raw(), 0, y.nbytes(), stream), "FusedMatMul zero fill");
  } else {
    gemm_rowmajor(env, node, a.data<float>(), w.data<float>(), y.data<float>(), rows, cols, kdim,
                  false, trans_w, 1.0f, 0.0f);
  }
  launch_epilogue(y.data<float>(), rows, cols, bias, act, multiplier, residual, walk,
                  env.ctx->stream());
  check_launch("FusedMatMul epilogue");
}

}  // namespace

void register_fused_matmul_ops(KernelRegistry& r, const OpEnv* env) {
  r.add({"FusedMatMul", kCpuFusedDomain, 1, 1 << 20,
         [env](KernelContext& k) { compute_fused_matmul(k, *env); }});
}

}  // namespace bog::runtime::cuda
