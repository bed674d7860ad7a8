#include "onnx_runtime/providers/cpu/thread_pool.h"

#include <algorithm>

#include "onnx_runtime/providers/cpu/lane_help.h"

namespace bog::runtime::cpu {
namespace {

thread_local bool t_inside_pool = false;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

bool ThreadPool::on_pool_thread() { return t_inside_pool; }

int ThreadPool::threads() const {
  return lane_help_ ? lane_help_->lanes() : static_cast<int>(workers_.size()) + 1;
}

void ThreadPool::share_with_lanes(std::shared_ptr<LaneHelp> help, int lane) {
  lane_help_ = std::move(help);
  lane_ = lane;
}

ThreadPool::ThreadPool(int threads) {
  const int workers = std::max(1, threads) - 1;
  workers_.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    ++generation_;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::work() {
  for (int64_t t = next_.fetch_add(1); t < tasks_; t = next_.fetch_add(1)) {
    call_(fn_, t);
    finished_.fetch_add(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(int64_t tasks, Call call, void* fn) {
  if (tasks <= 0) return;
  if (lane_help_ && tasks > 1 && !LaneHelp::in_task()) {
    lane_help_->run(lane_, tasks, call, fn);
    return;
  }
  bool expected = false;
  if (workers_.empty() || tasks == 1 || t_inside_pool ||
      !busy_.compare_exchange_strong(expected, true)) {
    for (int64_t t = 0; t < tasks; ++t) call(fn, t);
    return;
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    // A worker still inside the previous job's work() (its last fetch of next_ failed, it has
    // not yet compared) would read this job's tasks_ with that stale index and run a task
    // twice, so that finished_ counted past it and this call returned while a task still ran
    // on its stack frame. The job's fields change only once every worker has left work().
    done_.wait(lock, [&] { return working_ == 0; });
    call_ = call;
    fn_ = fn;
    tasks_ = tasks;
    next_.store(0);
    finished_.store(0);
    ++generation_;
  }
  wake_.notify_all();
  t_inside_pool = true;
  work();
  t_inside_pool = false;
  // Short spin first: the other tasks are usually microseconds from done.
  for (int spin = 0; finished_.load(std::memory_order_acquire) < tasks && spin < 20000; ++spin) {
    cpu_relax();
  }
  if (finished_.load(std::memory_order_acquire) < tasks) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return finished_.load(std::memory_order_acquire) >= tasks; });
  }
  busy_.store(false);
}

void ThreadPool::worker_loop() {
  t_inside_pool = true;
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (stop_) return;
      ++working_;
    }
    work();
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      --working_;
    }
    done_.notify_all();  // the caller waits for the tasks, or for this worker to leave
  }
}

}  // namespace bog::runtime::cpu
