// Products of dims and byte counts go through these so an overflow is an error, not UB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace bog {

// a * b for non-negative dims; throws Error(kInvalidModel) on overflow or a negative operand.
int64_t checked_mul(int64_t a, int64_t b);
size_t checked_mul_size(size_t a, size_t b);

// Product of all dims (1 for a scalar); throws on a negative dim or overflow.
int64_t checked_numel(std::span<const int64_t> dims);

}  // namespace bog
