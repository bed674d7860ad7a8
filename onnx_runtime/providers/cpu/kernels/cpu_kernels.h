// Optimized float32 kernels of the cpu provider. Each takes a `fallback` (the reference
// kernel of the same op) for the dtypes or forms it does not specialise. Fused kernels (domain
// bog.cpu) are made by the passes in ../passes; each names the subgraph it replaces.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "onnx_runtime/kernel.h"
#include "onnx_runtime/kv_cache_state.h"
#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"

namespace bog::runtime::cpu {

class ThreadPool;
class WeightArena;
struct PackedWeight;

// Element-wise kernels split their rows over the pool from this many floats on: below it, waking
// a worker costs more than the second core saves.
constexpr int64_t kMinParallelFloats = int64_t{1} << 16;

// The AVX-512 lane mask (__mmask16) of lanes [0, n) of a 16-float block, n clamped to [0, 16]:
// the masked last block of a row.
inline uint16_t first_lanes16(int64_t n) {
  return n >= 16 ? uint16_t{0xFFFF} : static_cast<uint16_t>((1u << (n > 0 ? n : 0)) - 1u);
}

KernelFn make_matmul(int threads, KernelFn fallback);
KernelFn make_gemm(int threads, KernelFn fallback);
KernelFn make_binary(const std::string& op_type, KernelFn fallback);
KernelFn make_softmax(KernelFn fallback);
KernelFn make_sigmoid(KernelFn fallback);
KernelFn make_layer_normalization(KernelFn fallback);
KernelFn make_gather(KernelFn fallback);
KernelFn make_transpose(KernelFn fallback, std::shared_ptr<ThreadPool> pool);
KernelFn make_cast(KernelFn fallback);
KernelFn make_concat(KernelFn fallback);
KernelFn make_reduce(KernelFn fallback);
KernelFn make_view(KernelFn reference);
KernelFn make_expand(KernelFn fallback);
KernelFn make_where(KernelFn fallback);

// Fused (bog.cpu) kernels.
// With `bf16`, the weight is packed once as bf16 and the GEMM runs gemm_bf16 (bf16_gemm.h).
// With `arena`, the packed weight lives there (huge pages; weight_arena.h). With `prepacked`
// (prepacked_weights.h), the weight was packed when the session was made and its initializer
// (input 1) may hold no data: only its shape is read.
KernelFn make_fused_matmul(const Node& node, std::shared_ptr<ThreadPool> pool, bool bf16 = false,
                           std::shared_ptr<WeightArena> arena = nullptr,
                           std::shared_ptr<const PackedWeight> prepacked = nullptr);
// kv_state: for k_in_cache / v_in_cache (fuse_kv_append.cpp), whose rows are capacity apart.
KernelFn make_attention_fused(const Node& node, std::shared_ptr<ThreadPool> pool,
                              std::shared_ptr<KvCacheState> kv_state = nullptr);
KernelFn make_kv_append(std::shared_ptr<KvCacheState> state);
KernelFn make_rope_fused(std::shared_ptr<ThreadPool> pool);
KernelFn make_rms_norm_fused(std::shared_ptr<ThreadPool> pool);
KernelFn make_gelu_fused();
KernelFn make_silu_fused();

// "" | "relu" | "gelu_erf" | "gelu_tanh" | "silu"; Error(kInvalidModel) otherwise.
Activation parse_activation(const std::string& name);

// The inputs of a fused GEMM's epilogue (FusedMatMul, DynamicQuantizeMatMul): bias [N],
// residual [..., N], multiplier [..., N], each optional.
inline constexpr size_t kFusedBias = 2;
inline constexpr size_t kFusedResidual = 3;
inline constexpr size_t kFusedMultiplier = 4;
// Their epilogue for an output of `shape` (checked; Error(kInvalidModel) on a mismatch). A
// residual of another shape is left out and *residual_later set: add it after the GEMM with
// add_residual_broadcast.
Epilogue fused_epilogue(KernelContext& ctx, Activation act, std::span<const int64_t> shape,
                        bool* residual_later);

// out += r with r broadcasting into out's shape (numpy rules), for a fused GEMM's residual of
// another shape; Error(kInvalidModel) when it does not broadcast.
void add_residual_broadcast(const Node& node, const Tensor& r, Tensor& out);

// True when every present input is a float32 tensor (the optimized kernels' precondition).
bool all_float32(const KernelContext& ctx);

}  // namespace bog::runtime::cpu
