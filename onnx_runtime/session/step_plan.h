// The memory plan of one input signature of the top-level graph. The first run of a signature
// is recorded (each output's size, dtype, placement and aliasing, and whether it depends only on
// the input shapes); the record becomes a plan: one arena whose buffers the kernels write into
// (offsets from plan_memory, memory_plan.h), the shape-only values kept, and the view nodes
// skipped, so later runs of the signature allocate nothing.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/memory_plan.h"
#include "onnx_runtime/session/steps.h"

namespace bog::runtime::session {

struct Plan {
  std::vector<DType> input_dtypes;
  std::vector<Shape> input_shapes;
  bool disabled = false;  // the graph's shapes depend on data
  Arena arena;
  std::vector<Tensor> planned;                           // per slot: its arena buffer, if planned
  std::vector<std::vector<const Tensor*>> step_planned;  // per step, per output
  std::vector<char> skip;                                // per step: shape-only or view, not run
  std::vector<std::pair<int, Tensor>> installed;         // slot -> fixed value (shape-only or view)
};

// What one recorded (unplanned) run saw, per slot.
struct SlotRecord {
  bool produced = false;
  bool placed = false;  // came from allocate_output/output_uninit: plannable
  DType dtype = DType::kUndefined;
  Shape shape;
  size_t bytes = 0;
  int alias_root = -1;  // slot whose buffer this value lies in
  size_t alias_offset = 0;
  bool is_static = false;  // depends only on the input shapes
  Tensor static_value;
};

// Notes sizes, placement and aliasing of a step's outputs (just run), and whether they depend
// only on the input shapes (then their values are kept for the plan).
void record_step(const StepGraph& top, const Node& node, const Step& st,
                 std::vector<SlotRecord>& rec);

// The plan of the recorded run whose inputs are in the input slots.
std::unique_ptr<Plan> build_plan(const StepGraph& top, const Graph& graph,
                                 std::vector<SlotRecord>& rec);

// The plan made for the inputs now in the input slots, or nullptr.
Plan* find_plan(const StepGraph& top, const std::vector<std::unique_ptr<Plan>>& plans);

}  // namespace bog::runtime::session
