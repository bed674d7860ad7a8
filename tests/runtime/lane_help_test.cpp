// Work sharing between batch lanes (lane_help.h): a lane that waits takes tasks of another
// lane's posted job; every task runs exactly once, and a job's frame is left only when no helper
// can still touch it.
#include "onnx_runtime/providers/cpu/lane_help.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {
namespace {

using Clock = std::chrono::steady_clock;

TEST(LaneHelp, AWaitingLaneRunsTasksOfAnothersJob) {
  const auto help = std::make_shared<LaneHelp>(2);
  ThreadPool pool(1);  // lane 0's kernels' pool
  pool.share_with_lanes(help, 0);
  EXPECT_EQ(pool.threads(), 2) << "kernels split their work for the lanes that can help";
  constexpr int64_t kTasks = 64;
  std::vector<std::atomic<int>> hits(kTasks);
  std::atomic<int> by_helper{0};
  std::atomic<bool> done{false};
  const std::thread::id poster = std::this_thread::get_id();
  std::thread helper([&] {
    while (!done.load()) help->help(1);
  });
  pool.parallel_for(kTasks, [&](int64_t t) {
    if (std::this_thread::get_id() != poster) {
      by_helper.fetch_add(1);
    } else if (t == 0) {
      // The poster holds its first task until the helper has taken one (or 10 s pass).
      const auto until = Clock::now() + std::chrono::seconds(10);
      while (by_helper.load() == 0 && Clock::now() < until) {
      }
    }
    hits[static_cast<size_t>(t)].fetch_add(1);
  });
  done.store(true);
  helper.join();
  for (int64_t t = 0; t < kTasks; ++t) EXPECT_EQ(hits[static_cast<size_t>(t)].load(), 1) << t;
  EXPECT_GT(by_helper.load(), 0);
}

// Jobs back to back while another lane helps all the time: each job's counters live on the
// poster's stack, so a helper that touched a job after its call returned, or a task run twice or
// never, shows up here (or under ASan).
TEST(LaneHelp, BackToBackJobsRunEachTaskExactlyOnceWhileHelped) {
  const auto help = std::make_shared<LaneHelp>(2);
  ThreadPool pool(1);
  pool.share_with_lanes(help, 0);
  std::atomic<bool> done{false};
  std::thread helper([&] {
    while (!done.load()) help->help(1);
  });
  for (int job = 0; job < 20000; ++job) {
    const int64_t tasks = 2 + job % 5;
    std::atomic<int> hits[6] = {0, 0, 0, 0, 0, 0};
    pool.parallel_for(tasks, [&](int64_t t) {
      // A nested call from a task runs inline, on whichever lane runs the task.
      pool.parallel_for(2, [&](int64_t) {});
      hits[t].fetch_add(1);
    });
    for (int64_t t = 0; t < tasks; ++t) {
      ASSERT_EQ(hits[t].load(), 1) << "job " << job << " task " << t;
    }
  }
  done.store(true);
  helper.join();
}

TEST(LaneHelp, HelpWithNothingPostedRunsNothing) {
  LaneHelp help(3);
  EXPECT_FALSE(help.help(0));
  EXPECT_FALSE(help.help(2));
}

}  // namespace
}  // namespace bog::runtime::cpu
