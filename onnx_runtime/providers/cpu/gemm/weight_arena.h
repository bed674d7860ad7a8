// Where one session's packed GEMM weights live: back to back in 2 MiB-aligned slabs that Linux
// is asked (madvise) to back with transparent huge pages. A decode step (one row per GEMM)
// streams every weight once per token; with 4 KiB pages that is a TLB miss every 4 KiB and a
// hardware prefetcher that stops at each page end. On the 2-core EPYC the M = 1 GEMMs of the
// d 512 x 8 decoder (160 MB of panels) ran at 12-22 GB/s on 4 KiB pages, 27-30 GB/s on huge
// pages, measured side by side under load 7. Packing weights one after another in a slab gives
// even sub-2 MiB matrices (the d 512 projections are 0.5-1 MiB) huge pages without rounding
// each up to 2 MiB: a slab's memory is only backed where it is written, so the waste is at most
// one partly used huge page per slab.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace bog::runtime::cpu {

class WeightArena {
 public:
  WeightArena() = default;
  ~WeightArena();
  WeightArena(const WeightArena&) = delete;
  WeightArena& operator=(const WeightArena&) = delete;

  // `bytes` of 64-byte-aligned memory that lives as long as the arena (never freed before).
  // Thread-safe. Error(kIo) when the system has no memory left.
  [[nodiscard]] void* allocate(size_t bytes);

  // False where each block is a heap block of its own: under AddressSanitizer (so that a kernel
  // reading past its panels is still caught) and off Linux (no madvise).
  static bool maps_huge_page_slabs();

  // Bytes handed out so far (a test's check that allocations are counted and disjoint).
  size_t allocated_bytes() const;

 private:
  struct Slab {
    char* base;
    size_t size;
    size_t used;
  };
  mutable std::mutex mu_;
  std::vector<Slab> slabs_;
  size_t allocated_ = 0;
};

// The memory of one packed weight: `bytes` (64-byte aligned) in `arena`, which it keeps alive,
// or without one a heap block of its own.
class PackedStorage {
 public:
  PackedStorage(std::shared_ptr<WeightArena> arena, size_t bytes);
  void* data() const { return data_; }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::shared_ptr<WeightArena> arena_;
  std::unique_ptr<void, Free> owned_;
  void* data_;
};

}  // namespace bog::runtime::cpu
