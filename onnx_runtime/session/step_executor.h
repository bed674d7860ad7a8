// The step executor: THE RUN LOOP of a session. The top-level graph is a list of steps (one per
// node: kernel, provider, input and output slots, a prepared KernelContext) over value slots
// indexed at creation, so a run does no name lookup and no per-node allocation.
//
//   run():  plan for these input shapes?  yes -> run_planned(): kernels write into the plan's
//                                                arena; shape-only and view steps are skipped
//           no  -> run_unplanned(&record):   fresh buffers, each value freed after its last
//                                            read; the record becomes the shape's plan
//   run_step(): one kernel call (device copies where a step's inputs are elsewhere, profiling,
//               the node observer)
//
// The caller binds inputs to input(k) first and reads output(k) after; batch strategies
// (batch_runner.h) call run() once per chunk. Subgraphs run in subgraph_runner.h, the plans
// are made in step_plan.h.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "onnx_runtime/session.h"
#include "onnx_runtime/session/step_plan.h"
#include "onnx_runtime/session/steps.h"
#include "onnx_runtime/session/subgraph_runner.h"

namespace bog::runtime::session {

class StepExecutor {
 public:
  // `graph` is placed and optimized; it and `providers` outlive the executor. The arena size
  // of each new plan is written to `planned_peak_bytes`.
  StepExecutor(const Graph& graph, const Providers& providers, int64_t& planned_peak_bytes);
  StepExecutor(const StepExecutor&) = delete;
  StepExecutor& operator=(const StepExecutor&) = delete;

  // Inputs (graph inputs that are not initializers, in graph order) and outputs by index.
  size_t input_count() const { return top_.input_slots.size(); }
  Value& input(size_t k) { return top_.slots[top_.input_slots[k]]; }
  const Value& input(size_t k) const { return top_.slots[top_.input_slots[k]]; }
  size_t output_count() const { return top_.output_slots.size(); }
  // Graph output k after a run; kInvalidModel when the graph did not produce it.
  const Value& output(size_t k) const;
  Value& output_slot(size_t k) { return top_.slots[top_.output_slots[k]]; }
  Value& slot_named(const std::string& name) { return top_.slots[top_.slots.index.at(name)]; }
  const std::string& input_name(size_t k) const { return top_.slots.names[input_slot(k)]; }

  // Runs the top-level graph once with the bound inputs.
  void run();

  // False when a node runs on another device: every run is unplanned.
  bool planning() const { return top_.planning; }
  // The arena size of the usable plan for the bound inputs (0: none, or nothing planned).
  size_t plan_bytes_for_inputs() const;
  // The slots no longer hold the installed plan's views (the caller put other values there).
  void forget_installed_plan() { installed_plan_ = nullptr; }
  // A decoder's longest total length (the KV cache's capacity; 0: unknown). While it is set,
  // two runs whose inputs differ only in growing dims make a stretching plan (step_plan.h)
  // sized for it, which every later step of the generation runs under.
  void set_length_capacity(const std::atomic<int64_t>* capacity) { length_capacity_ = capacity; }

  void set_observer(Session::NodeObserver observer) { observer_ = std::move(observer); }
  bool observed() const { return static_cast<bool>(observer_); }
  void set_profiling(bool on);
  bool profiling() const { return profiling_; }
  const std::vector<Session::NodeProfile>& profile() const { return node_profile_; }

 private:
  size_t input_slot(size_t k) const { return static_cast<size_t>(top_.input_slots[k]); }
  void prepare();
  void run_step(Step& st, const Plan* plan, size_t step_index);
  void run_unplanned(std::vector<SlotRecord>* record);
  void run_planned(Plan& plan);
  void record_profile(const Step& st, std::chrono::steady_clock::time_point t0);
  std::vector<Value> run_subgraph(const Graph& sub, std::vector<Value> inputs);

  const Graph& graph_;
  const Providers& providers_;
  int64_t& planned_peak_bytes_;
  StepGraph top_;
  SubgraphRunner subgraphs_;
  Env top_env_;  // the outermost scope seen by subgraphs of top-level nodes
  std::vector<std::unique_ptr<Plan>> plans_;
  const Plan* installed_plan_ = nullptr;
  // Plans recorded since the last run that found one. Past kUnusedPlans of them the input
  // shapes are taken to change on every run (a decoder's past grows by one token per step):
  // a signature is then recorded only when it repeats the previous run's, since recording a
  // run costs about as much as the run and the plan would never be used.
  int unused_plans_ = 0;
  const std::atomic<int64_t>* length_capacity_ = nullptr;
  std::unique_ptr<RecordedRun> last_record_;  // the previous unplanned run, while stretching
  void record_and_plan();
  void record_for_stretching(int64_t capacity);
  std::vector<DType> last_dtypes_;
  std::vector<Shape> last_shapes_;
  bool repeats_last_signature();
  Session::NodeObserver observer_;
  bool profiling_ = false;
  std::vector<Session::NodeProfile> node_profile_;  // top-level nodes, graph order
};

}  // namespace bog::runtime::session
