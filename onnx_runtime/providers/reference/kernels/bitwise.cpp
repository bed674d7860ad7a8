// Bitwise ops on integer tensors: BitwiseAnd/Or/Xor/Not and BitShift (unsigned types only, as
// the spec constrains it). Shifting by the bit width or more gives 0 instead of C's UB.
#include <climits>

#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {

void register_bitwise(KernelRegistry& registry) {
  add_kernel(registry, "BitwiseAnd", 18, [](KernelContext& ctx) {
    binary_map<void>(ctx, IntTypes{}, [](auto a, auto b) { return a & b; });
  });
  add_kernel(registry, "BitwiseOr", 18, [](KernelContext& ctx) {
    binary_map<void>(ctx, IntTypes{}, [](auto a, auto b) { return a | b; });
  });
  add_kernel(registry, "BitwiseXor", 18, [](KernelContext& ctx) {
    binary_map<void>(ctx, IntTypes{}, [](auto a, auto b) { return a ^ b; });
  });
  add_kernel(registry, "BitwiseNot", 18, [](KernelContext& ctx) {
    unary_map<void>(ctx, IntTypes{}, [](auto a) { return ~a; });
  });
  add_kernel(registry, "BitShift", 11, [](KernelContext& ctx) {
    const std::string direction = ctx.node().attr_string("direction", "");
    if (direction != "LEFT" && direction != "RIGHT") {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("BitShift node '{}': direction must be LEFT or RIGHT, got '{}'",
                              ctx.node().name, direction));
    }
    const bool left = direction == "LEFT";
    binary_map<void>(ctx, UnsignedIntTypes{}, [left](auto a, auto b) {
      using C = decltype(a);
      if (b >= sizeof(C) * CHAR_BIT) return C{0};
      return static_cast<C>(left ? static_cast<wrap_unsigned_t<C>>(a) << b : a >> b);
    });
  });
}

}  // namespace bog::runtime::ref
