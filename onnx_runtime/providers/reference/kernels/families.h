// Each op family registers its reference kernels here; one function per family file group.
#pragma once

#include "onnx_runtime/kernel.h"

namespace bog::runtime {

// Unary/binary math, activations, comparison, logic, bitwise, Cast/CastLike, Where, Clip.
void register_elementwise_kernels(KernelRegistry& registry);
// Shape and data movement: Reshape, Transpose, Concat, Split, Slice, Gather, Scatter, Pad, ...
void register_tensor_kernels(KernelRegistry& registry);
// Reductions, MatMul/Gemm, normalization, conv/pool, softmax, attention, losses, quantization.
void register_nn_kernels(KernelRegistry& registry);
// If, Loop, Scan, sequence and optional ops.
void register_control_flow_kernels(KernelRegistry& registry);
// Attention, losses, quantization, RNNs, Resize, GridSample, DFT/STFT, windows, detection ops.
void register_advanced_kernels(KernelRegistry& registry);

}  // namespace bog::runtime
