// Optimized float32 kernels of the cpu provider. Each takes a `fallback` (the reference
// kernel of the same op) for the dtypes or forms it does not specialise.
#pragma once

#include "onnx_runtime/kernel.h"

namespace bog::runtime::cpu {

KernelFn make_matmul(int threads, KernelFn fallback);
KernelFn make_gemm(int threads, KernelFn fallback);
KernelFn make_fused_matmul_add(int threads);
KernelFn make_binary(const std::string& op_type, KernelFn fallback);
KernelFn make_softmax(KernelFn fallback);
KernelFn make_sigmoid(KernelFn fallback);
KernelFn make_layer_normalization(KernelFn fallback);
KernelFn make_rms_norm_fused();
KernelFn make_gelu_fused();

// True when every present input is a float32 tensor (the optimized kernels' precondition).
bool all_float32(const KernelContext& ctx);

}  // namespace bog::runtime::cpu
