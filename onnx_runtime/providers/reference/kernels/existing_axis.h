// Axis normalisation for ops that index a per-axis array of length rank (reductions,
// normalisations, arg-reductions).
#pragma once

#include <fmt/format.h>

#include <cstdint>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {

// A scalar has no axis, so rank 0 is an error here: normalize_axis lets axis 0 through for
// rank 0, and these kernels then wrote through an empty vector (found by the fuzz target).
inline int64_t normalize_existing_axis(int64_t axis, int64_t rank, const Node& node) {
  if (rank == 0) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': axis {} given for a scalar input", node.op_type,
                            node.name, axis));
  }
  return normalize_axis(axis, rank, node);
}

}  // namespace bog::runtime::ref
