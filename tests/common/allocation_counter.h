// Counts heap allocations in a test binary: the steady-state checks of the memory plan and the
// decode loop ("a run allocates nothing after warm-up"). The binary links
// allocation_counter.cpp, which interposes glibc's malloc family (malloc, calloc, realloc,
// aligned_alloc, posix_memalign, memalign), so operator new (malloc underneath), tensor
// storage and arenas (aligned_alloc) and third-party buffers are all counted.
// With BOG_ALLOC_BACKTRACE=1 in the environment every counted allocation prints its call
// stack to stderr, to find where they come from.
#pragma once

namespace bog::test {

// Under ASan the sanitizer owns malloc: counts are taken in normal builds only.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kCountingAllocations = false;
#else
inline constexpr bool kCountingAllocations = true;
#endif

// Counts the allocations of every thread while alive (one counter at a time).
class AllocationCounter {
 public:
  AllocationCounter();
  ~AllocationCounter();
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;
  long count() const;  // allocations since construction (or the last reset)
  void reset();
};

}  // namespace bog::test
