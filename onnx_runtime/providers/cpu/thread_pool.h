// The cpu provider's intra-op thread pool, owned by the provider and so by the session (ORT's
// intra-op pool, in small). parallel_for hands out task indices; the calling thread works too.
// Results never depend on the thread count as long as each task writes its own outputs.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace bog::runtime::cpu {

class ThreadPool;
class LaneHelp;

// Splits [0, n) into one contiguous range per thread and calls fn(begin, end) for each, on
// `pool` when there are at least 2 * min_per_part items and a pool with 2+ threads, else once
// inline. For the row loops of element-wise kernels: below a few tens of microseconds of work,
// waking a worker costs more than it saves, hence min_per_part.
template <class F>
void parallel_ranges(ThreadPool* pool, int64_t n, int64_t min_per_part, F&& fn);

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads - 1 workers are started
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const;

  // A single-thread pool of a batch lane: from now on its parallel_for jobs are posted to the
  // lanes' LaneHelp (lane_help.h), where lanes that wait take part, and threads() counts them.
  void share_with_lanes(std::shared_ptr<LaneHelp> help, int lane);

  // Whether the calling thread is inside some pool's task (a worker, or a caller in
  // parallel_for): a parallel_for from there runs its tasks one after another, inline.
  static bool on_pool_thread();

  // Calls fn(task) for every task in [0, tasks) and returns when all are done. Allocates
  // nothing. A call from inside a task, or while another thread is inside parallel_for, runs
  // inline on the calling thread.
  template <class F>
  void parallel_for(int64_t tasks, F&& fn) {
    using Fn = std::remove_reference_t<F>;
    auto call = [](void* f, int64_t task) { (*static_cast<Fn*>(f))(task); };
    run(tasks, call, const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using Call = void (*)(void*, int64_t);
  void run(int64_t tasks, Call call, void* fn);
  void worker_loop();
  void work();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  uint64_t generation_ = 0;  // bumped for every job; guarded by mutex_
  int working_ = 0;          // workers inside work(); guarded by mutex_
  bool stop_ = false;
  Call call_ = nullptr;
  void* fn_ = nullptr;
  int64_t tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> finished_{0};
  std::atomic<bool> busy_{false};
  std::shared_ptr<LaneHelp> lane_help_;
  int lane_ = -1;
};

template <class F>
void parallel_ranges(ThreadPool* pool, int64_t n, int64_t min_per_part, F&& fn) {
  const int64_t parts =
      pool == nullptr ? 1
                      : std::min<int64_t>(pool->threads(), n / std::max<int64_t>(1, min_per_part));
  if (parts < 2) {
    if (n > 0) fn(int64_t{0}, n);
    return;
  }
  const int64_t per = (n + parts - 1) / parts;
  pool->parallel_for(parts, [&](int64_t t) {
    const int64_t b = std::min(n, t * per);
    const int64_t e = std::min(n, b + per);
    if (b < e) fn(b, e);
  });
}

}  // namespace bog::runtime::cpu
