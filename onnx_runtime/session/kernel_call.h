// What both run loops (the top-level steps and the subgraphs of If/Loop/Scan) share: a node's
// name in errors, one kernel call with its errors given the node's context, and values moved to
// the device of the provider that reads them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/graph.h"
#include "onnx_runtime/kernel.h"
#include "onnx_runtime/value.h"

namespace bog::runtime::session {

using Providers = std::vector<std::shared_ptr<ExecutionProvider>>;

// "node 'name' (Op)" for error messages.
std::string describe(const Node& node, size_t index);

inline bool is_absent(const Value& v) {
  return v.kind == ValueKind::kTensor && !v.tensor.defined();
}

// Thrown inside a planned run when a kernel's output did not land in its planned buffer
// (a data-dependent shape): the run is repeated without the plan.
struct PlanMismatch {};

// The provider's kernel for a node; its errors name the node.
KernelFn make_kernel(const ExecutionProvider& p, const Node& node, size_t index);

// Calls one kernel: bog::Error keeps its category, out-of-memory is kIo, anything else
// kInternal, each prefixed with the node; PlanMismatch passes through.
void call_kernel(const KernelFn& kernel, KernelContext& ctx, const Node& node, size_t index);

// Whether every tensor of `v` is on the provider's device.
bool on_device(const ExecutionProvider& p, const Value& v);

// `v` on the provider's device: views where it already is, copies where devices differ.
Value to_device_of(const ExecutionProvider& p, const Value& v, const Providers& providers);

}  // namespace bog::runtime::session
