// Optional, OptionalHasElement, OptionalGetElement. From opset 18 the latter two also accept a
// plain tensor or sequence (always "present") and OptionalHasElement an omitted input.
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/control_flow_kernels.h"

namespace bog::runtime::ref {
namespace {

void optional_kernel(KernelContext& ctx) {
  if (!ctx.has_input(0)) {
    ctx.set_output_value(0, Value::none());
    return;
  }
  ctx.set_output_value(0, Value::some(ctx.input_value(0).clone()));
}

void optional_has_element(KernelContext& ctx) {
  bool present = false;
  if (ctx.has_input(0)) {
    const Value& v = ctx.input_value(0);
    present = v.kind != ValueKind::kOptional || v.optional != nullptr;
  }
  Tensor out(DType::kBool, {});
  out.data<uint8_t>()[0] = present ? 1 : 0;
  ctx.set_output(0, std::move(out));
}

void optional_get_element(KernelContext& ctx) {
  const Value& v = ctx.input_value(0);
  if (v.kind != ValueKind::kOptional) {
    ctx.set_output_value(0, v.clone());
    return;
  }
  if (!v.optional) cf::fail(ctx.node(), "the optional input holds no value");
  ctx.set_output_value(0, v.optional->clone());
}

}  // namespace

void register_optional_kernels(KernelRegistry& registry) {
  registry.add({"Optional", "", 15, 1 << 20, optional_kernel});
  registry.add({"OptionalHasElement", "", 15, 1 << 20, optional_has_element});
  registry.add({"OptionalGetElement", "", 15, 1 << 20, optional_get_element});
}

}  // namespace bog::runtime::ref
