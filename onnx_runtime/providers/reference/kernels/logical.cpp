// Logical ops on bool tensors with numpy broadcasting: And, Or, Xor (Not is in unary_math).
#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {

void register_logical(KernelRegistry& registry) {
  add_kernel(registry, "And", 1, [](KernelContext& ctx) {
    binary_map<void>(ctx, BoolType{}, [](bool a, bool b) { return a && b; });
  });
  add_kernel(registry, "Or", 1, [](KernelContext& ctx) {
    binary_map<void>(ctx, BoolType{}, [](bool a, bool b) { return a || b; });
  });
  add_kernel(registry, "Xor", 1, [](KernelContext& ctx) {
    binary_map<void>(ctx, BoolType{}, [](bool a, bool b) { return a != b; });
  });
}

}  // namespace bog::runtime::ref
