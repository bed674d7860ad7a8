// The top-level graph as the run loop sees it: value slots and one step per node, with each
// value's last reader. Built once at session creation (StepExecutor) and read by the memory
// plan (step_plan.h).
#pragma once

#include <memory>
#include <vector>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/kernel.h"
#include "onnx_runtime/session/value_slots.h"

namespace bog::runtime::session {

// One top-level node, ready to run: its kernel, its slots and its context.
struct Step {
  size_t node_index = 0;
  KernelFn kernel;
  const ExecutionProvider* provider = nullptr;
  std::vector<int> in_slots;    // -1: omitted input
  std::vector<int> out_slots;   // -1: unnamed output
  std::vector<int> free_after;  // slots dead after this step (unplanned runs)
  std::unique_ptr<KernelContext> ctx;
};

struct StepGraph {
  ValueSlots slots;
  std::vector<char> is_constant;     // per slot: an initializer
  std::vector<char> is_graph_input;  // per slot: fed by the caller
  std::vector<int> input_slots;      // per graph input that is not an initializer
  std::vector<int> output_slots;     // per graph output
  std::vector<int> last_read;        // per slot: last step that reads it (steps.size() = output)
  std::vector<Step> steps;
  bool planning = true;  // false when a node runs on another device
};

}  // namespace bog::runtime::session
