// Which batch strategy a run takes (batch_runner.h), and what chunks and lanes share.
#include "onnx_runtime/session/batch_runner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/lane_reduction.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::session {

BatchRunner::BatchRunner(StepExecutor& exec, Session::OptimizationReport& report, bool lanes_sync)
    : exec_(exec), report_(report), lanes_sync_(lanes_sync) {}

BatchRunner::~BatchRunner() = default;

// The batch size a split run would cover, or 0 to run the inputs whole.
int64_t BatchRunner::split_batch() const {
  if (!(report_.batch_split || lanes_sync_) || batch_chunk_ == 0 || exec_.observed()) return 0;
  int64_t n = -1;
  for (size_t k = 0; k < exec_.input_count(); ++k) {
    const Value& v = exec_.input(k);
    if (v.kind != ValueKind::kTensor || !v.tensor.defined() || v.tensor.rank() == 0 ||
        v.tensor.device() != Device::kCpu || v.tensor.dtype() == DType::kString) {
      return 0;
    }
    if (n >= 0 && v.tensor.dim(0) != n) return 0;
    n = v.tensor.dim(0);
  }
  return n > 1 ? n : 0;
}

bool BatchRunner::use_lanes() const {
  return threads_ > 1 && make_lane_ && report_.batch_lanes > 1 && !exec_.profiling();
}

void BatchRunner::run() {
  const int64_t n = split_batch();
  // Lanes that meet at a reduction must run side by side: on a pool's own thread the lane pool
  // would run them one after another (and the first would wait for the second forever).
  if (n > 0 && lanes_sync_ && (!use_lanes() || cpu::ThreadPool::on_pool_thread())) {
    exec_.run();
    return;
  }
  if (n > 0 && use_lanes()) {
    try {
      run_lanes(n);
    } catch (const std::exception& e) {
      // Run whole (a bad input fails here with its own error); if that works, the lanes
      // were at fault and this session stops using them.
      exec_.run();
      report_.batch_lanes = 0;
      report_.batch_split_reason = fmt::format("a lane run failed: {}", e.what());
      spdlog::warn("batch lanes turned off: {}", report_.batch_split_reason);
    }
    return;
  }
  const int64_t chunk = n == 0 ? 0 : known_chunk();
  if (n == 0 || (chunk > 0 && n <= chunk)) {
    exec_.run();
    return;
  }
  hold_whole_inputs();
  try {
    run_chunks(n, chunk);
    restore_whole_inputs();
  } catch (const std::exception& e) {
    // Run whole. If that works, splitting was at fault (something the analysis could not
    // see, such as a constant sized for one batch): this session stops splitting.
    restore_whole_inputs();
    exec_.run();
    report_.batch_split = false;
    report_.batch_split_reason = fmt::format("a split run failed: {}", e.what());
    spdlog::warn("batch splitting turned off: {}", report_.batch_split_reason);
  }
}

// Copies `t`, rows [start, start + m) of output k, into the whole output k of n rows.
void BatchRunner::collect_rows(size_t k, const Tensor& t, int64_t start, int64_t m, int64_t n) {
  if (!t.defined() || t.rank() == 0 || t.dim(0) != m || t.device() != Device::kCpu ||
      t.dtype() == DType::kString) {
    throw Error(ErrorCategory::kInternal, "a chunk's output is not indexed by its samples");
  }
  Tensor& whole = split_outputs_[k];
  if (start == 0) {
    shape_scratch_.assign(t.shape().begin(), t.shape().end());
    shape_scratch_[0] = n;
    if (!whole.same_layout(t.dtype(), shape_scratch_)) {
      whole = Tensor::uninitialized(t.dtype(), shape_scratch_);
    }
  }
  const size_t row = t.nbytes() / static_cast<size_t>(m);
  if (row > 0) {
    std::memcpy(static_cast<char*>(whole.raw()) + static_cast<size_t>(start) * row, t.raw(),
                t.nbytes());
  }
}

// Puts the whole outputs (split_outputs_) in the output slots.
void BatchRunner::install_whole_outputs() {
  for (size_t k = 0; k < exec_.output_count(); ++k) {
    exec_.output_slot(k).tensor.assign_view_of(split_outputs_[k]);
  }
  exec_.forget_installed_plan();  // the output slots no longer show the plan's buffers
}

}  // namespace bog::runtime::session
