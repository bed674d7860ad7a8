#include "parity/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace bog::parity {
namespace {

int64_t argmax(const float* row, int64_t cols) {
  return std::max_element(row, row + cols) - row;
}

}  // namespace

Comparison compare(std::span<const float> actual, std::span<const float> expected, int64_t rows,
                   int64_t cols, const Tolerance& tolerance) {
  if (static_cast<int64_t>(actual.size()) != rows * cols ||
      static_cast<int64_t>(expected.size()) != rows * cols) {
    throw Error(ErrorCategory::kParityFailed,
                fmt::format("output sizes differ: {} vs {} values, expected {} x {}",
                            actual.size(), expected.size(), rows, cols));
  }
  Comparison c;
  c.rows = rows;
  c.cols = cols;
  double sum_abs = 0, dot = 0, na = 0, nb = 0;
  int64_t agree = 0;
  for (int64_t i = 0; i < rows * cols; ++i) {
    const double a = actual[static_cast<size_t>(i)];
    const double b = expected[static_cast<size_t>(i)];
    if (std::isnan(a) != std::isnan(b)) c.within_tolerance = false;
    const double d = std::fabs(a - b);
    if (!(d <= tolerance.atol + tolerance.rtol * std::fabs(b)) && !(std::isnan(a) && std::isnan(b))) {
      c.within_tolerance = false;
    }
    if (!std::isnan(d)) {
      c.max_abs_diff = std::max(c.max_abs_diff, d);
      c.max_rel_diff = std::max(c.max_rel_diff, d / std::max(std::fabs(b), 1e-12));
      sum_abs += d;
    }
    dot += a * b;
    na += a * a;
    nb += b * b;
  }
  for (int64_t r = 0; r < rows; ++r) {
    agree += argmax(actual.data() + r * cols, cols) == argmax(expected.data() + r * cols, cols);
  }
  c.mean_abs_diff = rows * cols > 0 ? sum_abs / static_cast<double>(rows * cols) : 0.0;
  c.cosine = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
  c.argmax_agreement = rows > 0 ? static_cast<double>(agree) / static_cast<double>(rows) : 1.0;
  c.passed = c.within_tolerance && c.argmax_agreement >= tolerance.min_argmax_agreement;
  return c;
}

void merge_into(Comparison& total, const Comparison& part, const Tolerance& tolerance) {
  const double n_total = static_cast<double>(total.rows * total.cols);
  const double n_part = static_cast<double>(part.rows * part.cols);
  const double n = n_total + n_part;
  if (n > 0) total.mean_abs_diff = (total.mean_abs_diff * n_total + part.mean_abs_diff * n_part) / n;
  const double rows = static_cast<double>(total.rows + part.rows);
  if (rows > 0) {
    total.argmax_agreement = (total.argmax_agreement * static_cast<double>(total.rows) +
                              part.argmax_agreement * static_cast<double>(part.rows)) / rows;
  }
  total.max_abs_diff = std::max(total.max_abs_diff, part.max_abs_diff);
  total.max_rel_diff = std::max(total.max_rel_diff, part.max_rel_diff);
  total.cosine = std::min(total.cosine, part.cosine);  // the worst batch
  total.within_tolerance = total.within_tolerance && part.within_tolerance;
  total.rows += part.rows;
  total.cols = part.cols;
  total.passed = total.within_tolerance && total.argmax_agreement >= tolerance.min_argmax_agreement;
}

nlohmann::json Comparison::to_json() const {
  return {{"rows", rows},
          {"max_abs_diff", max_abs_diff},
          {"max_rel_diff", max_rel_diff},
          {"mean_abs_diff", mean_abs_diff},
          {"cosine", cosine},
          {"argmax_agreement", argmax_agreement},
          {"within_tolerance", within_tolerance},
          {"passed", passed}};
}

}  // namespace bog::parity
