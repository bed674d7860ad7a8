// Registration of the elementwise reference kernels: each family file adds its own ops.
#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"
#include "onnx_runtime/providers/reference/kernels/families.h"

namespace bog::runtime {

void register_elementwise_kernels(KernelRegistry& registry) {
  ref::register_unary_math(registry);
  ref::register_activations(registry);
  ref::register_binary_arithmetic(registry);
  ref::register_variadic(registry);
  ref::register_comparison(registry);
  ref::register_logical(registry);
  ref::register_bitwise(registry);
  ref::register_where(registry);
  ref::register_clip(registry);
  ref::register_cast(registry);
}

}  // namespace bog::runtime
