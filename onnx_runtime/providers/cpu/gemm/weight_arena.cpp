#include "onnx_runtime/providers/cpu/gemm/weight_arena.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "common/error.h"

// The heap path (see maps_huge_page_slabs).
#if defined(__SANITIZE_ADDRESS__)
#define BOG_WEIGHT_ARENA_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BOG_WEIGHT_ARENA_HEAP 1
#endif
#endif
#if !defined(__linux__)
#define BOG_WEIGHT_ARENA_HEAP 1
#endif

#if !defined(BOG_WEIGHT_ARENA_HEAP)
#include <sys/mman.h>

#include <cstdint>
#endif

namespace bog::runtime::cpu {
namespace {

constexpr size_t kAlign = 64;
[[maybe_unused]] constexpr size_t kHugePage = size_t{2} << 20;  // unused on the heap path
// Address space, not memory: a slab is backed only where weights are written.
[[maybe_unused]] constexpr size_t kSlabBytes = size_t{64} << 20;

size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

[[noreturn]] void out_of_memory() {
  throw Error(ErrorCategory::kIo, "out of memory for packed weights");
}

#if defined(BOG_WEIGHT_ARENA_HEAP)

char* map_slab(size_t size) {
  void* p = std::aligned_alloc(kAlign, size);
  if (p == nullptr) out_of_memory();
  return static_cast<char*>(p);
}

void unmap_slab(char* base, size_t) { std::free(base); }

#else

// `size` (a multiple of kHugePage) bytes at a 2 MiB boundary, marked for huge pages. Mapping
// one huge page more and trimming both ends is how mmap gives an alignment it does not promise.
char* map_slab(size_t size) {
  const size_t span = size + kHugePage;
  void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) out_of_memory();
  const auto start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = round_up(start, kHugePage);
  if (aligned > start) munmap(p, aligned - start);
  const uintptr_t end = aligned + size;
  if (start + span > end) munmap(reinterpret_cast<void*>(end), start + span - end);
  char* base = reinterpret_cast<char*>(aligned);
  // Advice only: with THP off ("never") the slab keeps 4 KiB pages and works the same.
  madvise(base, size, MADV_HUGEPAGE);
  return base;
}

void unmap_slab(char* base, size_t size) { munmap(base, size); }

#endif

}  // namespace

WeightArena::~WeightArena() {
  for (const Slab& s : slabs_) unmap_slab(s.base, s.size);
}

void* WeightArena::allocate(size_t bytes) {
  const size_t size = round_up(bytes == 0 ? 1 : bytes, kAlign);
  const std::lock_guard<std::mutex> lock(mu_);
  slabs_.reserve(slabs_.size() + 1);  // a slab is mapped only where push_back cannot throw
#if defined(BOG_WEIGHT_ARENA_HEAP)
  slabs_.push_back(Slab{map_slab(size), size, size});
  allocated_ += size;
  return slabs_.back().base;
#else
  for (Slab& s : slabs_) {
    if (s.size - s.used >= size) {
      char* p = s.base + s.used;
      s.used += size;
      allocated_ += size;
      return p;
    }
  }
  const size_t slab = std::max(kSlabBytes, round_up(size, kHugePage));
  slabs_.push_back(Slab{map_slab(slab), slab, size});
  allocated_ += size;
  return slabs_.back().base;
#endif
}

bool WeightArena::maps_huge_page_slabs() {
#if defined(BOG_WEIGHT_ARENA_HEAP)
  return false;
#else
  return true;
#endif
}

size_t WeightArena::allocated_bytes() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return allocated_;
}

void PackedStorage::Free::operator()(void* p) const { std::free(p); }

PackedStorage::PackedStorage(std::shared_ptr<WeightArena> arena, size_t bytes)
    : arena_(std::move(arena)) {
  const size_t size = round_up(bytes == 0 ? 1 : bytes, kAlign);
  if (arena_) {
    data_ = arena_->allocate(size);
    return;
  }
  owned_.reset(std::aligned_alloc(kAlign, size));
  if (!owned_) out_of_memory();
  data_ = owned_.get();
}

}  // namespace bog::runtime::cpu
