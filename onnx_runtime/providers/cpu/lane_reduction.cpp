#include "onnx_runtime/providers/cpu/lane_reduction.h"

#include <algorithm>

#include "common/error.h"

namespace bog::runtime::cpu {
namespace {

// About 100 µs of polling before sleeping. Plain loads, no pause instruction: in a virtual
// machine a pause loop can make the hypervisor deschedule the spinning vCPU.
constexpr int kSpins = 100000;

[[noreturn]] void aborted() { throw Error(ErrorCategory::kInternal, "another batch lane failed"); }

}  // namespace

LaneReduction::LaneReduction(int max_lanes) : help_(std::make_shared<LaneHelp>(max_lanes)) {}

void LaneReduction::start(int lanes) {
  const std::lock_guard<std::mutex> lock(mutex_);
  lanes_ = lanes;
  arrived_ = 0;
  aborted_.store(false);
  running_.store(lanes);
}

void LaneReduction::finish(int lane) {
  running_.fetch_sub(1);
  while (running_.load(std::memory_order_acquire) > 0) help_->help(lane);
}

void LaneReduction::min_max(float* mn, float* mx, int lane) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (aborted_.load()) aborted();
  acc_mn_ = arrived_ == 0 ? *mn : std::min(acc_mn_, *mn);
  acc_mx_ = arrived_ == 0 ? *mx : std::max(acc_mx_, *mx);
  if (++arrived_ == lanes_) {
    // The last to arrive publishes. out_* stays valid until the next round finishes, which needs
    // every lane, each having read this one first.
    out_mn_ = *mn = acc_mn_;
    out_mx_ = *mx = acc_mx_;
    arrived_ = 0;
    round_.fetch_add(1, std::memory_order_release);
    lock.unlock();
    done_.notify_all();
    return;
  }
  const uint64_t mine = round_.load(std::memory_order_relaxed);
  lock.unlock();
  // Until the slower lanes arrive, run tasks of their kernels; spin or sleep once none is left.
  while (round_.load(std::memory_order_acquire) == mine &&
         !aborted_.load(std::memory_order_relaxed) && help_->help(lane)) {
  }
  for (int spin = 0; spin < kSpins && round_.load(std::memory_order_acquire) == mine &&
                     !aborted_.load(std::memory_order_relaxed);
       ++spin) {
  }
  lock.lock();
  done_.wait(lock, [&] { return round_.load() != mine || aborted_.load(); });
  if (round_.load() == mine) aborted();
  *mn = out_mn_;
  *mx = out_mx_;
}

void LaneReduction::abort() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    aborted_.store(true);
  }
  done_.notify_all();
}

}  // namespace bog::runtime::cpu
