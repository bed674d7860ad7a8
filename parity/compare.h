// Parity figures between two [rows, cols] float outputs (logits): what users look at when
// they ask "does this backend compute the same model?".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>

#include "parity/tolerance.h"

namespace bog::parity {

struct Comparison {
  int64_t rows = 0;
  int64_t cols = 0;
  double max_abs_diff = 0;
  double max_rel_diff = 0;   // |a - b| / max(|b|, 1e-12), max over elements
  double mean_abs_diff = 0;
  double cosine = 1;         // over the flattened outputs
  double argmax_agreement = 1;  // fraction of rows with the same argmax
  bool within_tolerance = true;  // |a - b| <= atol + rtol * |b| everywhere, no NaN mismatch
  bool passed = true;            // within_tolerance and argmax agreement >= the policy's

  [[nodiscard]] nlohmann::json to_json() const;
};

// `actual` against `expected` (the reference), both row-major [rows, cols].
[[nodiscard]] Comparison compare(std::span<const float> actual, std::span<const float> expected,
                                 int64_t rows, int64_t cols, const Tolerance& tolerance);

// Accumulates several batches into one Comparison (max of maxes, weighted means).
void merge_into(Comparison& total, const Comparison& part, const Tolerance& tolerance);

}  // namespace bog::parity
