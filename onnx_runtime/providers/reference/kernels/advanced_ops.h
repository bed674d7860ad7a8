// Registration entry points of the advanced reference kernels, one per op file. Called from
// register_advanced.cpp; kept separate so each op lives in its own file.
#pragma once

#include "onnx_runtime/kernel.h"

namespace bog::runtime::ref {

void register_attention(KernelRegistry& registry);
void register_losses(KernelRegistry& registry);
void register_quantize_linear(KernelRegistry& registry);
void register_qlinear_matmul(KernelRegistry& registry);
void register_resize(KernelRegistry& registry);
void register_grid_sample(KernelRegistry& registry);
void register_windows(KernelRegistry& registry);
void register_dft(KernelRegistry& registry);
void register_non_max_suppression(KernelRegistry& registry);
void register_rnn(KernelRegistry& registry);

}  // namespace bog::runtime::ref
