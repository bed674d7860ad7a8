#include "onnx_runtime/providers/cpu/lane_help.h"

namespace bog::runtime::cpu {
namespace {

thread_local bool t_in_task = false;

// Runs tasks of `job` until none is left; the flag makes nested parallel_for calls inline.
template <class J>
bool take_tasks(J& job) {
  const bool outer = t_in_task;
  t_in_task = true;
  bool ran = false;
  for (int64_t t = job.next.fetch_add(1); t < job.tasks; t = job.next.fetch_add(1)) {
    job.call(job.fn, t);
    job.finished.fetch_add(1, std::memory_order_acq_rel);
    ran = true;
  }
  t_in_task = outer;
  return ran;
}

}  // namespace

struct LaneHelp::Job {
  Call call = nullptr;
  void* fn = nullptr;
  int64_t tasks = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> finished{0};
};

// A lane's posted job, and how many helpers may be looking at it. The poster clears the job,
// then waits for the visitors to leave before its stack frame (the job, fn) goes away; a helper
// that arrives later reads the cleared pointer (all seq_cst).
struct LaneHelp::Slot {
  std::atomic<Job*> job{nullptr};
  std::atomic<int> visitors{0};
};

LaneHelp::LaneHelp(int lanes) : lanes_(lanes), slots_(std::make_unique<Slot[]>(lanes)) {}
LaneHelp::~LaneHelp() = default;

bool LaneHelp::in_task() { return t_in_task; }

void LaneHelp::run(int lane, int64_t tasks, Call call, void* fn) {
  Job job;
  job.call = call;
  job.fn = fn;
  job.tasks = tasks;
  Slot& slot = slots_[static_cast<size_t>(lane)];
  slot.job.store(&job);
  take_tasks(job);
  while (job.finished.load(std::memory_order_acquire) < tasks) {
    // A helper is finishing its last task of this job.
  }
  slot.job.store(nullptr);
  while (slot.visitors.load() != 0) {
  }
}

bool LaneHelp::help(int self) {
  bool ran = false;
  for (int l = 0; l < lanes_; ++l) {
    if (l == self) continue;
    Slot& slot = slots_[static_cast<size_t>(l)];
    slot.visitors.fetch_add(1);
    if (Job* job = slot.job.load()) ran |= take_tasks(*job);
    slot.visitors.fetch_sub(1);
  }
  return ran;
}

}  // namespace bog::runtime::cpu
