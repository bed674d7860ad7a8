// Lanes: with several threads, a batch that would split runs as one contiguous part per thread,
// each part in its own single-thread session (made at the first such batch), so every op stays
// on one core with its cache-sized chunks instead of being shared between the cores.
#include <algorithm>

#include "onnx_runtime/providers/cpu/lane_reduction.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"
#include "onnx_runtime/session/batch_runner.h"

namespace bog::runtime::session {

// A lane's copy of the optimized model: the same nodes, initializers shared (views). Only
// separable graphs get lanes, and those have no subgraphs to share.
Model lane_model(const Model& model) {
  Model c;
  c.ir_version = model.ir_version;
  c.producer_name = model.producer_name;
  c.producer_version = model.producer_version;
  c.metadata = model.metadata;
  c.directory = model.directory;
  const Graph& g = model.graph;
  c.graph.name = g.name;
  c.graph.inputs = g.inputs;
  c.graph.outputs = g.outputs;
  c.graph.value_infos = g.value_infos;
  c.graph.nodes = g.nodes;
  c.graph.opsets = g.opsets;
  for (const auto& [name, t] : g.initializers)
    c.graph.initializers.emplace(name, t.view(t.shape()));
  return c;
}

// Runs the batch of n samples (in the input slots) as one contiguous part per lane.
void BatchRunner::run_lanes(int64_t n) {
  const int count = threads_;
  if (lanes_.empty()) {
    if (lanes_sync_) lane_reduction_ = std::make_shared<cpu::LaneReduction>(count);
    for (int l = 0; l < count; ++l) lanes_.push_back(make_lane_(l, lane_reduction_));
    lane_pool_ = std::make_unique<cpu::ThreadPool>(count);
    lane_errors_.resize(static_cast<size_t>(count));
    lane_inputs_.resize(static_cast<size_t>(count));
    lane_outputs_.resize(static_cast<size_t>(count));
  }
  // Lane l takes samples [l * per, l * per + rows(l)); `used` lanes have any.
  const int64_t per = (n + count - 1) / count;
  const int64_t used = (n + per - 1) / per;
  const auto rows = [n, per](int64_t l) { return std::min(per, n - l * per); };
  for (int64_t l = 0; l < used; ++l) {
    std::vector<Tensor>& in = lane_inputs_[static_cast<size_t>(l)];
    in.resize(exec_.input_count());
    for (size_t k = 0; k < in.size(); ++k) {
      in[k].assign_rows_of(exec_.input(k).tensor, l * per, rows(l));
    }
  }
  std::fill(lane_errors_.begin(), lane_errors_.end(), nullptr);
  if (lane_reduction_) lane_reduction_->start(static_cast<int>(used));
  lane_pool_->parallel_for(used, [this](int64_t l) {
    const auto lu = static_cast<size_t>(l);
    try {
      lanes_[lu]->run(lane_inputs_[lu], lane_outputs_[lu]);
    } catch (...) {
      lane_errors_[lu] = std::current_exception();    // a pool task must not throw
      if (lane_reduction_) lane_reduction_->abort();  // no lane waits for this one
    }
    if (lane_reduction_) lane_reduction_->finish(static_cast<int>(l));
  });
  for (int64_t l = 0; l < used; ++l) {  // the caller's inputs are only borrowed
    for (Tensor& t : lane_inputs_[static_cast<size_t>(l)]) t.assign_view_of(Tensor());
  }
  for (const std::exception_ptr& e : lane_errors_) {
    if (e) std::rethrow_exception(e);
  }
  split_outputs_.resize(exec_.output_count());
  for (int64_t l = 0; l < used; ++l) {
    for (size_t k = 0; k < exec_.output_count(); ++k) {
      collect_rows(k, lane_outputs_[static_cast<size_t>(l)][k], l * per, rows(l), n);
    }
  }
  install_whole_outputs();
  // The memory this run planned is the lanes' arenas together.
  int64_t planned = 0;
  for (const auto& lane : lanes_) planned += lane->optimization_report().planned_peak_bytes;
  report_.planned_peak_bytes = planned;
}

}  // namespace bog::runtime::session
