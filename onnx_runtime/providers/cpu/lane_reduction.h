// Where the batch lanes of one run meet. A session with N threads runs a separable batch as N
// contiguous parts, each in its own single-thread session (session.cpp, execute_lanes). An op
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

namespace bog::runtime::cpu {

class LaneReduction {
 public:
  // Before each batch: `lanes` lanes take part (those with samples); clears an abort.
  void start(int lanes);

  // Returns (min over lanes of mn, max over lanes of mx) once every lane has called; throws if
  // the batch was aborted. Spins briefly before sleeping: the lanes do equal work.
  void min_max(float* mn, float* mx);

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
};

// What a lane session's kernels see: the reduction of the batch they run a part of, or null when
// the session runs batches of its own. The parent session sets it after building the lane.
struct LaneLink {
  std::shared_ptr<LaneReduction> reduction;
};

}  // namespace bog::runtime::cpu
