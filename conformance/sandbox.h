// Runs tasks in forked child processes with a time and memory limit, a few at a time, so a
// crash, hang or runaway allocation in one task ends as that task's result, never the caller's.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace bog::conformance {

struct SandboxLimits {
  double timeout_s = 20.0;
  size_t memory_mb = 4096;  // address-space limit; not applied under AddressSanitizer
};

struct SandboxResult {
  std::string output;      // everything the child wrote to its report pipe
  bool timed_out = false;  // killed after timeout_s
  int exit_code = -1;      // when the child exited normally
  int signal = 0;          // when a signal ended it (SIGSEGV, SIGABRT, SIGKILL, ...)
  double seconds = 0.0;
};

// "exit code 3", "killed by signal 11 (Segmentation fault)", "timed out after 20 s".
std::string describe_abnormal_end(const SandboxResult& result, const SandboxLimits& limits);

// Runs work(i, fd) for i in [0, count) in child processes, at most `jobs` at a time; the child
// writes its report to `fd` and returns (the child then _exits 0). on_done(i, result) runs in
// the parent, in completion order.
void run_sandboxed(size_t count, int jobs, const SandboxLimits& limits,
                   const std::function<void(size_t index, int fd)>& work,
                   const std::function<void(size_t index, SandboxResult result)>& on_done);

// Writes all of `text` to `fd` (retrying short writes); false if the pipe is gone.
bool write_all(int fd, const std::string& text);

}  // namespace bog::conformance
