#include "onnx_runtime/memory_plan.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "common/error.h"

namespace bog::runtime {
namespace {

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace

MemoryPlan plan_memory(std::span<const BufferRequest> requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return requests[a].bytes > requests[b].bytes;
  });
  struct Placed {
    size_t begin, end;
    int first, last;
  };
  std::vector<Placed> placed;
  std::vector<std::pair<size_t, size_t>> busy;  // [begin, end) of time-overlapping buffers
  for (const size_t r : order) {
    const BufferRequest& req = requests[r];
    const size_t bytes = round_up(std::max<size_t>(req.bytes, 1), kArenaAlignment);
    busy.clear();
    for (const Placed& p : placed) {
      if (p.first <= req.last && req.first <= p.last) busy.emplace_back(p.begin, p.end);
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [b, e] : busy) {
      if (b >= offset + bytes) break;  // the gap before this buffer fits
      offset = std::max(offset, e);
    }
    plan.offsets[r] = offset;
    placed.push_back({offset, offset + bytes, req.first, req.last});
    plan.arena_bytes = std::max(plan.arena_bytes, offset + bytes);
  }
  return plan;
}

void Arena::Free::operator()(std::byte* p) const { std::free(p); }

Arena::Arena(size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t align = bytes >= kHuge ? kHuge : kArenaAlignment;
  const size_t padded = round_up(bytes, align);
  void* p = std::aligned_alloc(align, padded);
  if (p == nullptr) {
    throw Error(ErrorCategory::kIo,
                fmt::format("out of memory allocating a {} byte activation arena", bytes));
  }
#ifdef MADV_HUGEPAGE
  if (align == kHuge) madvise(p, padded, MADV_HUGEPAGE);  // advice only: failure is harmless
#endif
  data_.reset(static_cast<std::byte*>(p));
}

}  // namespace bog::runtime
