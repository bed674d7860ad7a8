// Batch strategies: how one run(inputs) of a session covers its batch.
//   whole   the step executor runs the inputs as they are (always, unless below applies)
//   chunks  a separable graph (batch_split.h) runs a large batch in chunks of samples whose
//           memory plan fits one core's L2 cache (batch_chunks.cpp); the chunk size is measured
//           on one sample's plan and remembered per sample shape
//   lanes   with threads > 1, one contiguous part of the batch per thread, each in its own
//           single-thread session on its own thread (batch_lanes.cpp); graphs whose lanes meet
//           at a whole-batch reduction run only this way
// Outputs are those of the whole batch in every case. A strategy that fails where the whole
// run works is turned off for the session, with the reason in the optimization report.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "onnx_runtime/session.h"
#include "onnx_runtime/session/step_executor.h"

namespace bog::runtime::cpu {
class LaneReduction;
class ThreadPool;
}  // namespace bog::runtime::cpu

namespace bog::runtime::session {

// A lane's copy of the optimized model: the same nodes, initializers shared (views). Only
// separable graphs get lanes, and those have no subgraphs to share.
Model lane_model(const Model& model);

class BatchRunner {
 public:
  // A single-thread session for lane `lane` of the optimized graph; with a reduction, its cpu
  // provider joins it (lane_reduction.h).
  using LaneFactory = std::function<std::unique_ptr<Session>(
      int lane, const std::shared_ptr<cpu::LaneReduction>& reduction)>;

  // `report` holds whether the graph may split (batch_split, batch_split_reason, batch_lanes)
  // and gets planned_peak_bytes of lane runs; both outlive the runner.
  BatchRunner(StepExecutor& exec, Session::OptimizationReport& report, bool lanes_sync);
  ~BatchRunner();
  BatchRunner(const BatchRunner&) = delete;
  BatchRunner& operator=(const BatchRunner&) = delete;

  // SessionOptions::batch_chunk (-1: sized by the cache, 0: never split) and threads.
  void set_batch_chunk(int chunk) { batch_chunk_ = chunk; }
  int batch_chunk() const { return batch_chunk_; }
  void set_threads(int threads) { threads_ = threads; }
  // Lanes are used only with a factory (sessions made from SessionOptions).
  void set_lane_factory(LaneFactory make_lane) { make_lane_ = std::move(make_lane); }
  bool lanes_sync() const { return lanes_sync_; }

  // Runs the executor's bound inputs; the whole outputs are in its output slots after.
  void run();

 private:
  // batch_runner.cpp: the choice, and what chunks and lanes share.
  int64_t split_batch() const;
  bool use_lanes() const;
  void collect_rows(size_t k, const Tensor& t, int64_t start, int64_t m, int64_t n);
  void install_whole_outputs();
  // batch_chunks.cpp
  int64_t known_chunk() const;
  void remember_chunk(size_t one_sample_bytes);
  void run_chunks(int64_t n, int64_t chunk);
  void collect_outputs(int64_t start, int64_t m, int64_t n);
  void hold_whole_inputs();
  void restore_whole_inputs();
  // batch_lanes.cpp
  void run_lanes(int64_t n);

  StepExecutor& exec_;
  Session::OptimizationReport& report_;
  const bool lanes_sync_;  // the graph splits only into lanes that meet at reductions
  int batch_chunk_ = -1;
  int threads_ = 1;

  std::vector<Tensor> split_inputs_;   // the caller's whole inputs during a split run
  std::vector<Tensor> split_outputs_;  // whole outputs, reused while the shape repeats
  Shape shape_scratch_;                // a whole output's shape, built without allocating
  struct ChunkSize {
    std::vector<Shape> sample_shapes;  // the inputs' shapes without dim 0
    int64_t chunk = 0;
  };
  std::vector<ChunkSize> chunk_sizes_;

  LaneFactory make_lane_;
  std::vector<std::unique_ptr<Session>> lanes_;  // made at the first batch that uses them
  std::shared_ptr<cpu::LaneReduction> lane_reduction_;
  std::unique_ptr<cpu::ThreadPool> lane_pool_;  // one task per lane; the caller runs one
  std::vector<std::exception_ptr> lane_errors_;
  std::vector<std::vector<Tensor>> lane_inputs_;
  std::vector<std::vector<Tensor>> lane_outputs_;
};

}  // namespace bog::runtime::session
