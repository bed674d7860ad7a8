// FusedMatMul (domain bog.cpu): Y = act(A · W + bias) * multiplier + residual, the form the
// fuse_matmul pass gives MatMul [+ Add(bias)] [+ activation] [+ Mul] [+ Add(residual)].
// W is a constant 2-D initializer, packed when the session is made (prepacked_weights.h; its
// float32 initializer may be gone then) or else at the first run, and reused.
// Inputs: A [..., K], W [K, N] ([N, K] with trans_w=1), bias [N]?, residual [..., N]?,
// multiplier [..., N]?
// Attribute activation: "" | "relu" | "gelu_erf" | "gelu_tanh" | "silu".
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/bf16_gemm.h"
#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/prepacked_weights.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {
namespace {

constexpr size_t kMaxRank = 8;

[[noreturn]] void fail(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("{} node '{}': {}", node.op_type, node.name, what));
}

// The optional [..., N] operand at input i, checked against the output shape.
const float* same_shape_operand(KernelContext& ctx, size_t i, std::span<const int64_t> shape) {
  if (!ctx.has_input(i)) return nullptr;
  const Tensor& t = ctx.input(i);
  if (!t.same_layout(DType::kFloat32, shape)) {
    fail(ctx.node(), fmt::format("input {} has shape {}, expected {}", i,
                                 shape_to_string(t.shape()), shape_to_string(shape)));
  }
  return t.data<float>();
}

}  // namespace

void add_residual_broadcast(const Node& node, const Tensor& r, Tensor& out) {
  const size_t rank = out.shape().size();
  if (r.dtype() != DType::kFloat32 || r.shape().size() > rank) {
    fail(node, fmt::format("residual {} does not broadcast into the output {}",
                           shape_to_string(r.shape()), shape_to_string(out.shape())));
  }
  int64_t strides[kMaxRank] = {};
  int64_t acc = 1;
  for (size_t i = 0; i < r.shape().size(); ++i) {
    const size_t ri = r.shape().size() - 1 - i;
    const size_t oi = rank - 1 - i;
    const int64_t d = r.shape()[ri];
    if (d != 1 && d != out.shape()[oi]) {
      fail(node, fmt::format("residual {} does not broadcast into the output {}",
                             shape_to_string(r.shape()), shape_to_string(out.shape())));
    }
    strides[oi] = d == 1 ? 0 : acc;
    acc *= d;
  }
  int64_t idx[kMaxRank] = {};
  const float* pr = r.data<float>();
  float* po = out.data<float>();
  int64_t off = 0;
  for (int64_t e = 0; e < out.numel(); ++e) {
    po[e] += pr[off];
    for (size_t k = rank; k-- > 0;) {
      off += strides[k];
      if (++idx[k] < out.shape()[k]) break;
      off -= strides[k] * out.shape()[k];
      idx[k] = 0;
    }
  }
}

Epilogue fused_epilogue(KernelContext& ctx, Activation act, std::span<const int64_t> shape,
                        bool* residual_later) {
  const int64_t cols = shape.back();
  Epilogue ep;
  ep.activation = act;
  if (ctx.has_input(kFusedBias)) {
    const Tensor& b = ctx.input(kFusedBias);
    if (b.numel() != cols || b.dtype() != DType::kFloat32) {
      fail(ctx.node(), "bias must hold one float32 per output column");
    }
    ep.bias = b.data<float>();
  }
  // A residual of another shape (a broadcast Add) is added after the GEMM instead.
  *residual_later = ctx.has_input(kFusedResidual) &&
                    !ctx.input(kFusedResidual).same_layout(DType::kFloat32, shape);
  if (ctx.has_input(kFusedResidual) && !*residual_later) {
    ep.residual = ctx.input(kFusedResidual).data<float>();
  }
  ep.ldr = cols;
  ep.multiplier = same_shape_operand(ctx, kFusedMultiplier, shape);
  ep.ldm = cols;
  return ep;
}

Activation parse_activation(const std::string& name) {
  if (name.empty() || name == "none") return Activation::kNone;
  if (name == "relu") return Activation::kRelu;
  if (name == "gelu_erf") return Activation::kGeluErf;
  if (name == "gelu_tanh") return Activation::kGeluTanh;
  if (name == "silu") return Activation::kSilu;
  throw Error(ErrorCategory::kInvalidModel, fmt::format("unknown fused activation '{}'", name));
}

KernelFn make_fused_matmul(const Node& node, std::shared_ptr<ThreadPool> pool, bool bf16,
                           std::shared_ptr<WeightArena> arena,
                           std::shared_ptr<const PackedWeight> prepacked) {
  struct Packed {
    std::unique_ptr<PackedMatrix> matrix;
    std::unique_ptr<PackedBf16Matrix> bf16;
    const void* source = nullptr;
  };
  auto packed = std::make_shared<Packed>();
  const Activation act = parse_activation(node.attr_string("activation", ""));
  const bool trans_w = node.attr_int("trans_w", 0) != 0;
  const Bf16Isa bf16_isa = bf16 ? best_bf16_isa() : Bf16Isa::kNone;
  if (prepacked && (bf16_isa != Bf16Isa::kNone ? !prepacked->bf16 : !prepacked->fp32)) {
    prepacked = nullptr;  // packed for the other precision: pack here as before
  }
  return [pool, packed, act, trans_w, bf16_isa, arena, prepacked](KernelContext& ctx) {
    const Node& n = ctx.node();
    const Tensor& a = ctx.input(0);
    const Tensor& w = ctx.input(1);
    if (a.dtype() != DType::kFloat32 || w.dtype() != DType::kFloat32 || w.rank() != 2 ||
        a.rank() < 1 || a.rank() > static_cast<int64_t>(kMaxRank)) {
      fail(n, "expects float32 A of rank 1-8 and a 2-D float32 weight");
    }
    const int64_t k = trans_w ? w.dim(1) : w.dim(0);
    const int64_t cols = trans_w ? w.dim(0) : w.dim(1);
    if (a.shape().back() != k) {
      fail(n, fmt::format("A {} does not match weight {}", shape_to_string(a.shape()),
                          shape_to_string(w.shape())));
    }
    int64_t out_shape[kMaxRank];
    const size_t rank = a.shape().size();
    std::copy(a.shape().begin(), a.shape().end(), out_shape);
    out_shape[rank - 1] = cols;
    const std::span<const int64_t> shape(out_shape, rank);
    int64_t m = 1;
    for (size_t i = 0; i + 1 < rank; ++i) m *= a.shape()[i];
    bool residual_later = false;
    const Epilogue ep = fused_epilogue(ctx, act, shape, &residual_later);
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, shape);
    if (out.numel() == 0) return;
    if (prepacked && (prepacked->k != k || prepacked->n != cols)) {
      fail(n, fmt::format("weight {} is not the {}x{} weight packed for it",
                          shape_to_string(w.shape()), prepacked->k, prepacked->n));
    }
    if (prepacked && prepacked->bf16) {
      gemm_bf16(bf16_isa, m, a.data<float>(), k, *prepacked->bf16, out.data<float>(), cols, ep,
                pool.get());
    } else if (prepacked) {
      gemm_packed(prepacked->fp32->isa(), m, cols, k, a.data<float>(), k, prepacked->fp32->data(),
                  out.data<float>(), cols, ep, pool.get());
    } else if (bf16_isa != Bf16Isa::kNone) {
      if (packed->source != w.raw() || !packed->bf16) {
        // Only the first packing goes to the arena, which never frees: a weight that moved
        // (never seen for an initializer) is packed again on the heap.
        packed->bf16 = std::make_unique<PackedBf16Matrix>(
            w.data<float>(), k, cols, trans_w ? k : cols, trans_w, packed->bf16 ? nullptr : arena);
        packed->source = w.raw();
      }
      gemm_bf16(bf16_isa, m, a.data<float>(), k, *packed->bf16, out.data<float>(), cols, ep,
                pool.get());
    } else {
      const GemmIsa isa = best_gemm_isa();
      if (packed->source != w.raw() || !packed->matrix) {
        packed->matrix =
            std::make_unique<PackedMatrix>(isa, w.data<float>(), k, cols, trans_w ? k : cols,
                                           trans_w, packed->matrix ? nullptr : arena);
        packed->source = w.raw();
      }
      gemm_packed(isa, m, cols, k, a.data<float>(), k, packed->matrix->data(), out.data<float>(),
                  cols, ep, pool.get());
    }
    if (residual_later) add_residual_broadcast(n, ctx.input(kFusedResidual), out);
  };
}

}  // namespace bog::runtime::cpu
