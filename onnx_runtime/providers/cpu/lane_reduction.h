// Where the batch lanes of one run meet. A session with N threads runs a separable batch as N
// contiguous parts, each in its own single-thread session (session/batch_lanes.cpp). An op
// whose result depends on the whole batch, DynamicQuantizeLinear's per-tensor min and max, can
// still run in lanes if every lane contributes its part's value and waits for the others: the
// k-th call of every lane returns the combination of all lanes' k-th calls. min and max do not
// depend on the order they are combined in, so the scale is exactly the whole batch's.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "onnx_runtime/providers/cpu/lane_help.h"

namespace bog::runtime::cpu {

class LaneReduction {
 public:
  explicit LaneReduction(int max_lanes);

  // Before each batch: `lanes` lanes take part (those with samples); clears an abort.
  void start(int lanes);

  // Returns (min over lanes of mn, max over lanes of mx) once every lane has called; throws if
  // the batch was aborted. While it waits, lane `lane` runs tasks of the other lanes' kernels
  // (lane_help.h), and sleeps once none has turned up for a while.
  void min_max(float* mn, float* mx, int lane);

  // Lane `lane` is done with the batch (or failed): it helps the others until all are done or
  // no task has turned up for a while.
  void finish(int lane);

  const std::shared_ptr<LaneHelp>& help() const { return help_; }

  // A lane failed: every waiting and later call throws, so no lane waits for it forever.
  void abort();

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  int lanes_ = 0;
  int arrived_ = 0;
  float acc_mn_ = 0.0f, acc_mx_ = 0.0f;  // this round's so far
  float out_mn_ = 0.0f, out_mx_ = 0.0f;  // the last finished round's
  std::atomic<uint64_t> round_{0};
  std::atomic<bool> aborted_{false};
  std::atomic<int> running_{0};  // lanes of this batch not yet finished
  std::shared_ptr<LaneHelp> help_;
};

// What a lane session's kernels see: the reduction of the batch they run a part of, or null when
// the session runs batches of its own. The parent session sets it after building the lane.
struct LaneLink {
  std::shared_ptr<LaneReduction> reduction;
  int lane = -1;  // this session's lane index
};

}  // namespace bog::runtime::cpu
