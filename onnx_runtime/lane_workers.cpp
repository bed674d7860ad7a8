#include "onnx_runtime/lane_workers.h"

#include <algorithm>

namespace bog::runtime {

LaneWorkers::LaneWorkers(int lanes) : errors_(static_cast<size_t>(std::max(1, lanes))) {
  for (int l = 1; l < std::max(1, lanes); ++l) workers_.emplace_back([this, l] { worker_loop(l); });
}

LaneWorkers::~LaneWorkers() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    ++generation_;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void LaneWorkers::run_lane(int lane) {
  try {
    call_(fn_, lane);
  } catch (...) {
    errors_[static_cast<size_t>(lane)] = std::current_exception();
  }
}

void LaneWorkers::worker_loop(int lane) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (stop_) return;
    }
    run_lane(lane);
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      --pending_;
    }
    done_.notify_one();
  }
}

void LaneWorkers::run_all(Call call, void* fn) {
  std::fill(errors_.begin(), errors_.end(), nullptr);
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    call_ = call;
    fn_ = fn;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  run_lane(0);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
  }
  for (const std::exception_ptr& e : errors_) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace bog::runtime
