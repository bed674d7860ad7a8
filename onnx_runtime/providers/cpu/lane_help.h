// Work sharing between the batch lanes of one run (session/batch_lanes.cpp). The lanes do
// equal work, but on a shared machine one core often runs slower for a while; the lanes of an
// int8 graph meet at every DynamicQuantizeLinear (lane_reduction.h), so the faster lane would
// wait. Instead, a lane's kernels post their parallel_for here, and a lane that waits at a
// meeting, or has finished, takes tasks of the others' posted jobs. Tasks write disjoint
// outputs, so who runs them changes nothing in the results.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace bog::runtime::cpu {

class LaneHelp {
 public:
  using Call = void (*)(void*, int64_t);
  explicit LaneHelp(int lanes);
  ~LaneHelp();
  int lanes() const { return lanes_; }

  // Lane `lane` runs call(fn, t) for t in [0, tasks), with other lanes helping; returns when
  // all are done.
  void run(int lane, int64_t tasks, Call call, void* fn);

  // Runs tasks of other lanes' posted jobs; returns whether it ran any. For a waiting lane.
  bool help(int self);

  // Whether the calling thread is inside a task run here (a parallel_for from it runs inline).
  static bool in_task();

 private:
  struct Job;
  struct Slot;
  int lanes_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace bog::runtime::cpu
