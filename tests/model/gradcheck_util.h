// Finite-difference gradient checks for the Eigen layers. The scalar checked is
// L = sum(y * R) for a fixed random R (so dL/dy = R), accumulated in double; central
// differences in float32 with step 1e-2 are accurate to ~1e-4 on these smooth functions.
//
// Two checks: each entry within an absolute + relative band, and the whole checked gradient
// within a relative error of its norm. The second is what catches a zeroed or halved
// gradient of small magnitude (the per-entry absolute band alone hid those); a gradient too
// small to tell from zero fails, since no check could see it break.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "model/layers/tensor.h"

namespace bog::model::testing {

// ||analytic - numeric|| / max(||analytic||, ||numeric||) over the checked entries: 0 when
// equal, 1 for a zeroed gradient, 0.5 for a halved one.
inline constexpr double kMaxRelativeError = 0.05;
// Below this numeric gradient norm a broken gradient could not be told from a right one.
inline constexpr double kMinCheckedNorm = 5e-4;

// The key projection's bias adds q.b to every score of one query, which softmax ignores: its
// gradient is exactly zero, so no check can see it zeroed. It must stay (numerically) zero.
inline bool gradient_is_structurally_zero(const std::string& what) {
  return what.ends_with("wk.bias");
}

inline Mat random_mat(int rows, int cols, std::mt19937_64& rng, float scale = 1.0f) {
  Mat m(rows, cols);
  fill_normal(m, rng, scale);
  return m;
}

inline double weighted_sum(const Mat& y, const Mat& r) {
  return (y.cast<double>().array() * r.cast<double>().array()).sum();
}

struct GradientCheck {
  std::vector<Eigen::Index> entries;
  std::vector<double> analytic, numeric;
  double relative_error = 0;
  double numeric_norm = 0;
};

// Central differences of loss() in x at every entry when x has at most max(samples, 256)
// entries (all of them: a sample could miss the only rows that have a gradient), else at
// `samples` random entries.
inline GradientCheck check_gradient(Mat& x, const Mat& analytic,
                                    const std::function<double()>& loss, std::mt19937_64& rng,
                                    int samples = 24, float eps = 1e-2f) {
  GradientCheck c;
  const Eigen::Index n = x.size();
  if (n <= std::max<Eigen::Index>(samples, 256)) {
    for (Eigen::Index i = 0; i < n; ++i) c.entries.push_back(i);
  } else {
    for (int s = 0; s < samples; ++s) c.entries.push_back(static_cast<Eigen::Index>(rng() % n));
  }
  double diff2 = 0, a2 = 0, n2 = 0;
  for (Eigen::Index i : c.entries) {
    const float saved = x.data()[i];
    x.data()[i] = saved + eps;
    const double up = loss();
    x.data()[i] = saved - eps;
    const double down = loss();
    x.data()[i] = saved;
    const double numeric = (up - down) / (2.0 * eps);
    const double a = analytic.data()[i];
    c.analytic.push_back(a);
    c.numeric.push_back(numeric);
    diff2 += (a - numeric) * (a - numeric);
    a2 += a * a;
    n2 += numeric * numeric;
  }
  c.numeric_norm = std::sqrt(n2);
  const double scale = std::max(std::sqrt(a2), c.numeric_norm);
  c.relative_error = scale > 0 ? std::sqrt(diff2) / scale : 0;
  return c;
}

// Compares `analytic` (same shape as `x`) with central differences of loss() in x.
inline void expect_gradient(Mat& x, const Mat& analytic, const std::function<double()>& loss,
                            std::mt19937_64& rng, const std::string& what, int samples = 24,
                            float eps = 1e-2f) {
  ASSERT_EQ(x.rows(), analytic.rows()) << what;
  ASSERT_EQ(x.cols(), analytic.cols()) << what;
  const GradientCheck c = check_gradient(x, analytic, loss, rng, samples, eps);
  for (size_t k = 0; k < c.entries.size(); ++k) {
    const double tol = 5e-3 + 2e-2 * std::max(std::abs(c.analytic[k]), std::abs(c.numeric[k]));
    EXPECT_NEAR(c.analytic[k], c.numeric[k], tol) << what << " entry " << c.entries[k];
  }
  if (gradient_is_structurally_zero(what)) {
    EXPECT_LT(c.numeric_norm, kMinCheckedNorm) << what << ": expected a zero gradient";
    return;
  }
  EXPECT_GE(c.numeric_norm, kMinCheckedNorm)
      << what << ": gradient too small to tell a broken one from a right one";
  EXPECT_LT(c.relative_error, kMaxRelativeError)
      << what << ": relative error of the gradient over " << c.entries.size() << " entries";
}

}  // namespace bog::model::testing
