// Registration of the advanced reference kernels: each op file adds its own definitions.
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/families.h"

namespace bog::runtime {

void register_advanced_kernels(KernelRegistry& registry) {
  ref::register_attention(registry);
  ref::register_losses(registry);
  ref::register_quantize_linear(registry);
  ref::register_qlinear_matmul(registry);
  ref::register_resize(registry);
  ref::register_grid_sample(registry);
  ref::register_windows(registry);
  ref::register_dft(registry);
  ref::register_non_max_suppression(registry);
  ref::register_rnn(registry);
}

}  // namespace bog::runtime
