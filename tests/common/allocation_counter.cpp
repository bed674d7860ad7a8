// The malloc family of a test binary, counting while an AllocationCounter is alive
// (allocation_counter.h). Each hook forwards to glibc's own implementation (__libc_*), so the
// heap is glibc's and free() needs no hook.
#include "tests/common/allocation_counter.h"

#include <execinfo.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace {

std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
std::atomic<bool> g_backtrace{false};
thread_local bool t_in_hook = false;  // backtrace() allocates on its first call

void print_backtrace(std::size_t bytes) {
  void* frames[24];
  const int n = backtrace(frames, 24);
  char line[64];
  const int len = std::snprintf(line, sizeof line, "--- allocation of %zu bytes:\n", bytes);
  if (len > 0) (void)!write(2, line, static_cast<std::size_t>(len));
  backtrace_symbols_fd(frames, n, 2);
}

void note(std::size_t bytes) {
  if (!g_counting.load(std::memory_order_relaxed) || t_in_hook) return;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (g_backtrace.load(std::memory_order_relaxed)) {
    t_in_hook = true;
    print_backtrace(bytes);
    t_in_hook = false;
  }
}

}  // namespace

namespace bog::test {

AllocationCounter::AllocationCounter() {
  const char* env = std::getenv("BOG_ALLOC_BACKTRACE");
  g_backtrace = env != nullptr && env[0] == '1';
  g_allocations = 0;
  g_counting = true;
}

AllocationCounter::~AllocationCounter() { g_counting = false; }

long AllocationCounter::count() const { return g_allocations.load(); }

void AllocationCounter::reset() { g_allocations = 0; }

}  // namespace bog::test

#if !defined(__SANITIZE_ADDRESS__)
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);

void* malloc(std::size_t n) noexcept {
  note(n);
  return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) noexcept {
  note(count * n);
  return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) noexcept {
  note(n);
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) noexcept {
  note(n);
  return __libc_memalign(alignment, n);
}
void* memalign(std::size_t alignment, std::size_t n) noexcept {
  note(n);
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) noexcept {
  note(n);
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = __libc_memalign(alignment, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
}  // extern "C"
#endif
