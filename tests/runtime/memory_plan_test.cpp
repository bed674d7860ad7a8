// The static memory planner: buffers alive at the same time never overlap, dead ones are
// reused, and the arena is no bigger than the sum of the buffers.
#include "onnx_runtime/memory_plan.h"

#include <gtest/gtest.h>

#include <random>

namespace bog::runtime {
namespace {

TEST(MemoryPlan, LiveBuffersNeverOverlapOnRandomLifetimes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<BufferRequest> req;
    const int n = 1 + static_cast<int>(rng() % 40);
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
      const int first = static_cast<int>(rng() % 30);
      const int last = first + static_cast<int>(rng() % 10);
      const size_t bytes = rng() % 5000;  // 0 included
      req.push_back({bytes, first, last});
      total += (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
    }
    const MemoryPlan plan = plan_memory(req);
    ASSERT_EQ(plan.offsets.size(), req.size());
    EXPECT_LE(plan.arena_bytes, total);
    for (size_t a = 0; a < req.size(); ++a) {
      EXPECT_EQ(plan.offsets[a] % kArenaAlignment, 0u);
      EXPECT_LE(plan.offsets[a] + req[a].bytes, plan.arena_bytes);
      for (size_t b = a + 1; b < req.size(); ++b) {
        const bool live_together = req[a].first <= req[b].last && req[b].first <= req[a].last;
        const bool overlap = plan.offsets[a] < plan.offsets[b] + std::max<size_t>(req[b].bytes, 1) &&
                             plan.offsets[b] < plan.offsets[a] + std::max<size_t>(req[a].bytes, 1);
        EXPECT_FALSE(live_together && overlap) << "buffers " << a << " and " << b;
      }
    }
  }
}

TEST(MemoryPlan, AChainReusesTwoBuffers) {
  // x0 -> x1 -> x2 -> x3: each value dies when the next is made, so two slots suffice.
  std::vector<BufferRequest> req;
  for (int i = 0; i < 4; ++i) req.push_back({1024, i, i + 1});
  EXPECT_EQ(plan_memory(req).arena_bytes, 2048u);
}

TEST(Arena, IsAlignedAndWritable) {
  for (const size_t bytes : {size_t{64}, size_t{1000}, size_t{3} << 20}) {
    Arena arena(bytes);
    ASSERT_NE(arena.data(), nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(arena.data()) % kArenaAlignment, 0u);
    arena.data()[bytes - 1] = std::byte{1};
  }
}

}  // namespace
}  // namespace bog::runtime
