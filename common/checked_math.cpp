#include "common/checked_math.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bog {

int64_t checked_mul(int64_t a, int64_t b) {
  if (a < 0 || b < 0) {
    throw Error(ErrorCategory::kInvalidModel, fmt::format("negative dimension in {} * {}", a, b));
  }
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) {
    throw Error(ErrorCategory::kInvalidModel, fmt::format("dimension product {} * {} overflows", a, b));
  }
  return out;
}

size_t checked_mul_size(size_t a, size_t b) {
  size_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) {
    throw Error(ErrorCategory::kInvalidModel, fmt::format("byte size {} * {} overflows", a, b));
  }
  return out;
}

int64_t checked_numel(std::span<const int64_t> dims) {
  int64_t n = 1;
  for (const int64_t d : dims) n = checked_mul(n, d);
  return n;
}

}  // namespace bog
