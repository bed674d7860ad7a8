// Static memory plan: buffers with known sizes and lifetimes get offsets in one arena, so that
// two buffers alive at the same time never overlap and dead ones are reused. The session makes
// one plan per input shape (see session/step_plan.cpp); the arena is kept across runs, so after the
// first run of a shape nothing is allocated, zeroed or faulted in again.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace bog::runtime {

inline constexpr size_t kArenaAlignment = 64;

// A buffer alive from node `first` through node `last` (inclusive, node indices).
struct BufferRequest {
  size_t bytes = 0;
  int first = 0;
  int last = 0;
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request, multiples of kArenaAlignment
  size_t arena_bytes = 0;       // peak: the arena size the plan needs
};

// Greedy best fit, largest buffers first: each buffer goes to the lowest offset that no
// time-overlapping, already placed buffer occupies.
MemoryPlan plan_memory(std::span<const BufferRequest> requests);

// One 64-byte-aligned block; blocks of 2 MiB and more are 2 MiB aligned and advised for
// transparent huge pages (fewer TLB misses and page faults on the large activations).
class Arena {
 public:
  Arena() = default;
  explicit Arena(size_t bytes);
  std::byte* data() const { return data_.get(); }
  size_t size() const { return bytes_; }

 private:
  struct Free {
    void operator()(std::byte* p) const;
  };
  std::unique_ptr<std::byte, Free> data_;
  size_t bytes_ = 0;
};

}  // namespace bog::runtime
