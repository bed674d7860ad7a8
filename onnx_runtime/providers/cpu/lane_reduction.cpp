#include "onnx_runtime/providers/cpu/lane_reduction.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"

namespace bog::runtime::cpu {
namespace {

// How long a waiting lane polls (and helps) after it last found a task, before it sleeps (a
// meeting) or leaves (a finished lane). No pause instruction: in a virtual machine a pause loop
// can make the hypervisor deschedule the spinning vCPU.
constexpr auto kPollFor = std::chrono::microseconds(200);

// Runs tasks of the other lanes' kernels while `waiting()` holds, until it stops holding or no
// task has turned up for kPollFor; returns whether `waiting()` still holds.
template <class Waiting>
bool help_while(LaneHelp& help, int lane, Waiting waiting) {
  auto idle_since = std::chrono::steady_clock::now();
  for (int polls = 1; waiting(); ++polls) {
    if (help.help(lane)) {
      idle_since = std::chrono::steady_clock::now();
    } else if (polls % 64 == 0 && std::chrono::steady_clock::now() - idle_since > kPollFor) {
      return waiting();
    }
  }
  return false;
}

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
  help_while(*help_, lane, [&] { return running_.load(std::memory_order_acquire) > 0; });
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
  // Until the slower lanes arrive, run tasks of their kernels; sleep once none turns up.
  help_while(*help_, lane, [&] {
    return round_.load(std::memory_order_acquire) == mine &&
           !aborted_.load(std::memory_order_relaxed);
  });
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
