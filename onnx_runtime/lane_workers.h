// The threads that run a batch's lanes side by side. With several threads, a large batch of a
// graph whose samples are independent (batch_split.h) is cut into one contiguous part per
// thread, and each part runs in its own single-thread session: every op stays on one core with
// its cache-sized chunks, instead of each op being shared between the cores (session.cpp).
// The calling thread runs lane 0; lanes - 1 workers wait for the others. Allocates nothing per
// run.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace bog::runtime {

class LaneWorkers {
 public:
  explicit LaneWorkers(int lanes);
  ~LaneWorkers();
  LaneWorkers(const LaneWorkers&) = delete;
  LaneWorkers& operator=(const LaneWorkers&) = delete;

  int lanes() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(lane) for every lane, each on its own thread, and returns when all are done; the
  // first exception a lane threw is rethrown after every lane finished.
  template <class F>
  void run(F&& fn) {
    using Fn = std::remove_reference_t<F>;
    auto call = [](void* f, int lane) { (*static_cast<Fn*>(f))(lane); };
    run_all(call, const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using Call = void (*)(void*, int);
  void run_all(Call call, void* fn);
  void worker_loop(int lane);
  void run_lane(int lane);

  std::vector<std::thread> workers_;
  std::vector<std::exception_ptr> errors_;  // per lane
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  Call call_ = nullptr;
  void* fn_ = nullptr;
};

}  // namespace bog::runtime
