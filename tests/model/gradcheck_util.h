// Finite-difference gradient checks for the Eigen layers. The scalar checked is
// L = sum(y * R) for a fixed random R (so dL/dy = R), accumulated in double; central
// differences in float32 with step 1e-2 are accurate to ~1e-4 on these smooth functions.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include "model/layers/tensor.h"

namespace bog::model::testing {

inline Mat random_mat(int rows, int cols, std::mt19937_64& rng, float scale = 1.0f) {
  Mat m(rows, cols);
  fill_normal(m, rng, scale);
  return m;
}

inline double weighted_sum(const Mat& y, const Mat& r) {
  return (y.cast<double>().array() * r.cast<double>().array()).sum();
}

// Compares `analytic` (same shape as `x`) with central differences of loss() in x, at up to
// `samples` random entries (all of them when x is small).
inline void expect_gradient(Mat& x, const Mat& analytic, const std::function<double()>& loss,
                            std::mt19937_64& rng, const std::string& what, int samples = 24,
                            float eps = 1e-2f) {
  ASSERT_EQ(x.rows(), analytic.rows()) << what;
  ASSERT_EQ(x.cols(), analytic.cols()) << what;
  const Eigen::Index n = x.size();
  std::vector<Eigen::Index> idx;
  if (n <= samples) {
    for (Eigen::Index i = 0; i < n; ++i) idx.push_back(i);
  } else {
    for (int s = 0; s < samples; ++s) idx.push_back(static_cast<Eigen::Index>(rng() % n));
  }
  for (Eigen::Index i : idx) {
    const float saved = x.data()[i];
    x.data()[i] = saved + eps;
    const double up = loss();
    x.data()[i] = saved - eps;
    const double down = loss();
    x.data()[i] = saved;
    const double numeric = (up - down) / (2.0 * eps);
    const double a = analytic.data()[i];
    const double tol = 5e-3 + 2e-2 * std::max(std::abs(a), std::abs(numeric));
    EXPECT_NEAR(a, numeric, tol) << what << " entry " << i;
  }
}

}  // namespace bog::model::testing
