// The packed-weight arena: disjoint aligned blocks across slab boundaries, memory marked for
// huge pages (Linux, outside AddressSanitizer), and GEMMs on arena-packed weights equal to those
// on heap-packed ones.
#include "onnx_runtime/providers/cpu/gemm/weight_arena.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"

namespace bog::runtime::cpu {
namespace {

TEST(WeightArena, HandsOutDisjointAlignedBlocksAcrossSlabs) {
  WeightArena arena;
  // Small blocks, one larger than a slab (64 MiB), then small ones again: each is 64-byte
  // aligned, writable over its whole size and overlaps no other.
  const std::vector<size_t> sizes = {1,   0,   100, size_t{3} << 20, size_t{70} << 20,
                                     640, 777, 64,  size_t{9} << 20, 5};
  std::vector<std::pair<uintptr_t, size_t>> blocks;
  size_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    auto* p = static_cast<unsigned char*>(arena.allocate(sizes[i]));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << "block " << i;
    std::memset(p, static_cast<int>(i + 1), sizes[i]);
    blocks.emplace_back(reinterpret_cast<uintptr_t>(p), std::max<size_t>(sizes[i], 1));
    total += (std::max<size_t>(sizes[i], 1) + 63) / 64 * 64;
  }
  std::sort(blocks.begin(), blocks.end());
  for (size_t i = 1; i < blocks.size(); ++i) {
    EXPECT_GE(blocks[i].first, blocks[i - 1].first + blocks[i - 1].second) << "overlap";
  }
  EXPECT_EQ(arena.allocated_bytes(), total);
}

// Whether the mapping that holds `p` carries MADV_HUGEPAGE ("hg" in its VmFlags).
bool marked_for_huge_pages(const void* p) {
  std::ifstream smaps("/proc/self/smaps");
  const auto addr = reinterpret_cast<uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = addr >= lo && addr < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) {
      std::istringstream flags(line.substr(8));
      std::string f;
      while (flags >> f) {
        if (f == "hg") return true;
      }
      return false;
    }
  }
  return false;
}

TEST(WeightArena, MarksItsMemoryForHugePages) {
  if (!WeightArena::maps_huge_page_slabs()) {
    GTEST_SKIP() << "this build takes the heap path (AddressSanitizer, or not Linux)";
  }
  if (!std::ifstream("/proc/self/smaps")) GTEST_SKIP() << "no /proc/self/smaps";
  WeightArena arena;
  const void* small = arena.allocate(1000);
  const void* big = arena.allocate(size_t{80} << 20);
  EXPECT_TRUE(marked_for_huge_pages(small));
  EXPECT_TRUE(marked_for_huge_pages(big));
  std::vector<float> heap(1 << 20);
  EXPECT_FALSE(marked_for_huge_pages(heap.data())) << "the check itself must be able to fail";
}

TEST(WeightArena, GemmOnArenaPackedWeightsEqualsHeapPacked) {
  // Decode-shaped GEMMs (M = 1..5 rows) and odd sizes: the arena changes where the panels live,
  // never the result.
  auto arena = std::make_shared<WeightArena>();
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (GemmIsa isa : {GemmIsa::kPortable, GemmIsa::kAvx2, GemmIsa::kAvx512}) {
    if (!gemm_isa_supported(isa)) continue;
    for (const auto& [k, n] : {std::pair<int64_t, int64_t>{1, 1}, {17, 33}, {96, 1000}, {0, 5}}) {
      for (int64_t m = 1; m <= 5; ++m) {
        SCOPED_TRACE(::testing::Message()
                     << gemm_isa_name(isa) << " m=" << m << " k=" << k << " n=" << n);
        std::vector<float> a(static_cast<size_t>(m * k)), b(static_cast<size_t>(k * n));
        for (float& v : a) v = dist(rng);
        for (float& v : b) v = dist(rng);
        const PackedMatrix heap(isa, b.data(), k, n, n, false);
        const PackedMatrix in_arena(isa, b.data(), k, n, n, false, arena);
        std::vector<float> want(static_cast<size_t>(m * n)), got(want.size(), 1.0f);
        gemm_packed(isa, m, n, k, a.data(), k, heap.data(), want.data(), n, Epilogue{}, nullptr);
        gemm_packed(isa, m, n, k, a.data(), k, in_arena.data(), got.data(), n, Epilogue{}, nullptr);
        EXPECT_EQ(got, want);
      }
    }
  }
}

}  // namespace
}  // namespace bog::runtime::cpu
