// The memory plan of one input signature of the top-level graph. The first run of a signature
// is recorded (each output's size, dtype, placement and aliasing, and whether it depends only on
// the input shapes); the record becomes a plan: one arena whose buffers the kernels write into
// (offsets from plan_memory, memory_plan.h), the shape-only values kept, and the view nodes
// skipped, so later runs of the signature allocate nothing.
//
// A stretching plan serves a decoder whose input shapes grow by one token per step (the past
// and total lengths): made from two recorded runs whose inputs differ only in those dims, by
// the same amount, it sizes every buffer for the longest length the caller will reach (the
// KV cache's capacity, extrapolated from the two runs) and serves every later run whose
// inputs differ from the second record only in those dims. Values derived from the growing
// shapes are computed again at every run; only what depends on shapes that stayed the same is
// kept, and every run checks that those shapes still are the same.
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
  // Stretching plans: per input, per dim, whether it grows with the length; the length (the
  // largest growing input dim) of the second record and the most a run may have. Buffers of
  // growing values hold the capacity's bytes; a kernel's output takes the front of them.
  bool stretches = false;
  std::vector<std::vector<char>> growing_dims;
  int64_t recorded_length = 0;
  int64_t length_capacity = 0;
  // Per step: outputs whose shape must be the recorded one (later steps took it as fixed).
  std::vector<std::vector<std::pair<int, const Shape*>>> step_fixed_shapes;
  std::vector<Shape> fixed_shapes;  // per slot, what step_fixed_shapes points at
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
  // What the stretching plan reads, before a static value clears the fields above: the
  // kernel's own buffer (not a view), or where the view lies.
  bool own_buffer = false;
  int view_root = -1;
  size_t view_offset = 0;
};

// The input signature of a recorded run.
struct RecordedRun {
  std::vector<DType> input_dtypes;
  std::vector<Shape> input_shapes;
  std::vector<SlotRecord> slots;
};

// Notes sizes, placement and aliasing of a step's outputs (just run), and whether they depend
// only on the input shapes (then their values are kept for the plan).
void record_step(const StepGraph& top, const Node& node, const Step& st,
                 std::vector<SlotRecord>& rec);

// The plan of the recorded run whose inputs are in the input slots.
std::unique_ptr<Plan> build_plan(const StepGraph& top, const Graph& graph,
                                 std::vector<SlotRecord>& rec);

// The stretching plan of two recorded runs (`second` just run, its values still in the
// slots), sized for `length_capacity`; nullptr when the runs' inputs do not differ only in dims
// that grew by the same amount, or the capacity is not beyond the second run.
std::unique_ptr<Plan> build_stretching_plan(const StepGraph& top, const Graph& graph,
                                            const RecordedRun& first, RecordedRun& second,
                                            int64_t length_capacity);

// Whether a stretching plan serves the inputs now in the input slots: the same dtypes and
// fixed dims, every growing dim moved by the same amount, at least 1 and within the capacity.
bool stretching_plan_fits(const StepGraph& top, const Plan& plan);

// The plan made for the inputs now in the input slots, or nullptr.
Plan* find_plan(const StepGraph& top, const std::vector<std::unique_ptr<Plan>>& plans);

// Ops whose output is a view of input 0: under a plan they need not run.
bool is_view_op(const Node& node);

// Per slot, the step that first writes it and the last step that reads it or any view of it.
void buffer_lifetimes(const StepGraph& top, const std::vector<SlotRecord>& rec,
                      std::vector<int>& first, std::vector<int>& last);

}  // namespace bog::runtime::session
