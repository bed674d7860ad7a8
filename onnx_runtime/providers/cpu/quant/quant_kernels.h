// The cpu provider's quantized kernels and the pass that feeds them (CpuProvider registers
// them; the pass runs before the float fusions).
#pragma once

#include <memory>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/kernel.h"
#include "onnx_runtime/providers/cpu/quant/int8_gemm.h"

namespace bog::runtime::cpu {

inline constexpr const char* kQuantFusedDomain = "bog.cpu";
inline constexpr const char* kDynamicQuantizeMatMul = "DynamicQuantizeMatMul";

// DynamicQuantizeMatMul(X float [..., K], W int8 [K, N], bias [N]?, residual [..., N]?,
// multiplier [..., N]?, W_scale float [] or [N], W_zero_point int8 [] or [N]?) -> Y [..., N]:
// X quantized to uint8 exactly as DynamicQuantizeLinear does (per tensor), an int8 GEMM, the
// requantization float(int32 sum) * (X_scale * W_scale[n]), then FusedMatMul's epilogue
// act(. + bias) * multiplier + residual (attribute activation, as FusedMatMul's). Inputs 2-4
// have FusedMatMul's places (kFusedBias, kFusedResidual, kFusedMultiplier), so the fuse_matmul pass
// grows either node's epilogue the same way. Equal, bit for bit, to the composition it replaces.
// In a batch lane (`lane` set, lane_reduction.h), X's min and max are combined with the other
// lanes' before the scale is computed, so the result is the whole batch's.
class ThreadPool;
struct LaneLink;
inline constexpr size_t kDqmmWScale = 5;
inline constexpr size_t kDqmmWZeroPoint = 6;
// X may instead be the uint8 output of a DynamicQuantizeLinear that several of these share, with
// that node's scale and zero point here.
inline constexpr size_t kDqmmXScale = 7;
inline constexpr size_t kDqmmXZeroPoint = 8;
// SwiGLU's gate merged into the up projection (fuse_matmul): the gate's int8 weight, W_scale,
// W_zero_point and bias, its activation in attribute gate_activation. Its output, computed block
// by block on the same quantized X, is the multiplier (input kFusedMultiplier stays empty).
inline constexpr size_t kDqmmGateW = 9;
inline constexpr size_t kDqmmGateWScale = 10;
inline constexpr size_t kDqmmGateWZeroPoint = 11;
inline constexpr size_t kDqmmGateBias = 12;
KernelFn make_dynamic_quantize_matmul(const Node& node, std::shared_ptr<ThreadPool> pool,
                                      Int8Isa isa, std::shared_ptr<const LaneLink> lane = nullptr);

// DynamicQuantizeLinear (float32 X): the reference kernel's results, bit for bit, with the
// min/max split over the pool and, in a batch lane, combined with the other lanes'. `fallback`
// (the reference kernel) serves other input types.
KernelFn make_dynamic_quantize_linear(std::shared_ptr<ThreadPool> pool, Int8Isa isa,
                                      std::shared_ptr<const LaneLink> lane, KernelFn fallback);

// DequantizeLinear, per-tensor int8/uint8 -> float32 (the int8 embedding's); `fallback` (the
// reference kernel) serves every other form.
KernelFn make_dequantize_linear(const Node& node, KernelFn fallback);

// MatMulNBits (com.microsoft) on float32 A: each 16-column panel of B is dequantized block by
// block into a float panel, then multiplied; `fallback` serves the forms it does not specialise
// (g_idx, float zero points).
KernelFn make_matmul_nbits(int threads, KernelFn fallback);

// Fuses ONNX Runtime's dynamic-quantization chain (nodes placed on `provider`):
//
//   X -> DynamicQuantizeLinear -> (Xq, Xs, Xzp)
//   MatMulInteger(Xq, W, Xzp, Wzp?) -> Cast(to=float) -> Mul(., S) -> Y
//   S = Mul(Xs, Ws)                      (W int8 2-D initializer, Ws/Wzp initializers)
//
// into DynamicQuantizeMatMul(X, W, "", "", "", Ws, Wzp) -> Y. A DynamicQuantizeLinear shared by
// several chains (Q, K, V projections) is removed once none of its outputs is read any more.
// Returns the number of chains fused.
int fuse_dynamic_quantize_matmul(Graph& graph, const std::string& provider);

}  // namespace bog::runtime::cpu
