// Kernel calls and device copies shared by the top-level and the subgraph run loops.
#include "onnx_runtime/session/kernel_call.h"

#include <fmt/format.h>

#include <new>

#include "common/error.h"
#include "onnx_runtime/graph_scope.h"

namespace bog::runtime::session {

std::string describe(const Node& node, size_t index) {
  return fmt::format("node '{}' ({})", node_label(node, index), node.op_type);
}

KernelFn make_kernel(const ExecutionProvider& p, const Node& node, size_t index) {
  try {
    return p.create_kernel(node);
  } catch (const Error& e) {
    throw Error(e.category(), fmt::format("{}: {}", describe(node, index), e.what()));
  }
}

void call_kernel(const KernelFn& kernel, KernelContext& ctx, const Node& node, size_t index) {
  try {
    kernel(ctx);
  } catch (const PlanMismatch&) {
    throw;
  } catch (const Error& e) {
    throw Error(e.category(), fmt::format("{}: {}", describe(node, index), e.what()));
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCategory::kIo, fmt::format("{}: out of memory", describe(node, index)));
  } catch (const std::exception& e) {
    throw Error(ErrorCategory::kInternal, fmt::format("{}: {}", describe(node, index), e.what()));
  }
}

bool on_device(const ExecutionProvider& p, const Value& v) {
  if (v.kind == ValueKind::kTensor) return !v.tensor.defined() || v.tensor.device() == p.device();
  for (const Tensor& t : v.sequence) {
    if (t.device() != p.device()) return false;
  }
  return !v.optional || on_device(p, *v.optional);
}

Value to_device_of(const ExecutionProvider& p, const Value& v, const Providers& providers) {
  auto convert = [&](const Tensor& t) {
    if (t.device() == p.device()) return t.view(t.shape());
    if (p.device() != Device::kCpu) return p.to_device(t);
    for (const auto& q : providers) {
      if (q->device() == t.device()) return q->to_host(t);
    }
    throw Error(ErrorCategory::kInternal, "no provider can copy a tensor to the host");
  };
  Value out;
  out.kind = v.kind;
  if (v.kind == ValueKind::kTensor && v.tensor.defined()) out.tensor = convert(v.tensor);
  for (const Tensor& t : v.sequence) out.sequence.push_back(convert(t));
  out.sequence_dtype = v.sequence_dtype;
  if (v.optional) out.optional = std::make_unique<Value>(to_device_of(p, *v.optional, providers));
  return out;
}

}  // namespace bog::runtime::session
