// The GP against hand-computed numbers, log-EI against the closed form, and the L-BFGS box
// minimiser the sampler relies on.
#include "tune/gaussian_process.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "tune/acquisition.h"
#include "tune/lbfgs.h"

namespace bog::tune {
namespace {

TEST(Matern52, MatchesTheClosedFormAtKnownDistances) {
  EXPECT_DOUBLE_EQ(matern52(0), 1.0);
  EXPECT_NEAR(matern52(1.0), 0.5239941088318203, 1e-15);
  EXPECT_NEAR(matern52(0.2), 0.9679861199640714, 1e-15);
}

// Two observations in 1-D: x = {0, 0.5}, y = {1, -1}, lengthscale 0.5, signal variance 2,
// noise 0.01. K = [[a, b], [b, a]] with a = 2.01, b = 2 m(1); the posterior at 0.1 has
// k* = 2 [m(0.2), m(0.8)] and mean k*^T K^-1 y, variance 2 - k*^T K^-1 k*, with the 2 x 2
// inverse [[a, -b], [-b, a]] / (a^2 - b^2) written out.
TEST(GaussianProcess, PosteriorMatchesHandComputedTwoPointExample) {
  Eigen::MatrixXd x(2, 1);
  x << 0.0, 0.5;
  Eigen::VectorXd y(2);
  y << 1.0, -1.0;
  GpHyperparameters h;
  h.lengthscales = Eigen::VectorXd::Constant(1, 0.5);
  h.signal_variance = 2.0;
  h.noise_variance = 0.01;
  const GaussianProcess gp(x, y, {false}, h);

  const double a = 2.01, b = 2 * 0.5239941088318203;
  const double k1 = 2 * 0.9679861199640714, k2 = 2 * matern52(0.8);
  const double det = a * a - b * b;
  const double mean = (k1 * (a * 1 - b * -1) + k2 * (-b * 1 + a * -1)) / det;
  const double var = 2 - (a * k1 * k1 - 2 * b * k1 * k2 + a * k2 * k2) / det;
  Eigen::VectorXd at(1);
  at << 0.1;
  const auto post = gp.predict(at);
  EXPECT_NEAR(post.mean, mean, 1e-12);
  EXPECT_NEAR(post.variance, var, 1e-12);

  // log p(y) = -y^T K^-1 y / 2 - log det K / 2 - log(2 pi).
  const double quad = (a * 1 * 1 - 2 * b * 1 * -1 + a * 1 * 1) / det;
  const double lml = -0.5 * quad - 0.5 * std::log(det) - std::log(2 * std::numbers::pi);
  EXPECT_NEAR(gp.log_marginal_likelihood(), lml, 1e-12);
}

TEST(GaussianProcess, CategoricalDimensionsCompareSameOrDifferent) {
  Eigen::MatrixXd x(1, 1);
  x << 0.0;
  GpHyperparameters h;
  h.lengthscales = Eigen::VectorXd::Constant(1, 1.0);
  const GaussianProcess gp(x, Eigen::VectorXd::Zero(1), {true}, h);
  Eigen::VectorXd c1(1), c2(1), c0(1);
  c0 << 0;
  c1 << 1;
  c2 << 2;
  EXPECT_DOUBLE_EQ(gp.kernel(c0, c0), 1.0);
  EXPECT_DOUBLE_EQ(gp.kernel(c0, c1), matern52(1.0));
  EXPECT_DOUBLE_EQ(gp.kernel(c0, c2), gp.kernel(c0, c1));  // choice 2 is not "further" than 1
}

TEST(GaussianProcess, FittedHyperparametersExplainTheDataBetterThanTheDefaults) {
  const int n = 12;
  Eigen::MatrixXd x(n, 2);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    x(i, 0) = (i % 4) / 3.0;
    x(i, 1) = (i * 7 % 12) / 11.0;
    y[i] = std::sin(6 * x(i, 0));  // varies along x0 only
  }
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  const GpHyperparameters fitted = fit_hyperparameters(x, y, {false, false});
  GpHyperparameters def;
  def.lengthscales = Eigen::VectorXd::Ones(2);
  def.noise_variance = 1e-4;
  EXPECT_GT(GaussianProcess(x, y, {false, false}, fitted).log_marginal_likelihood(),
            GaussianProcess(x, y, {false, false}, def).log_marginal_likelihood());
  EXPECT_LT(fitted.lengthscales[0], fitted.lengthscales[1]);  // the relevant dimension is shorter
}

// E[max(best - f, 0)] by the trapezoid rule over f ~ N(mean, sd^2).
double integrated_ei(double mean, double sd, double best) {
  const int steps = 200000;
  const double lo = mean - 12 * sd, hi = best;
  if (hi <= lo) return 0;
  const double dx = (hi - lo) / steps;
  double sum = 0;
  for (int i = 0; i <= steps; ++i) {
    const double f = lo + i * dx;
    const double z = (f - mean) / sd;
    const double w = (i == 0 || i == steps) ? 0.5 : 1.0;
    sum += w * (best - f) * std::exp(-0.5 * z * z) / (sd * std::sqrt(2 * std::numbers::pi));
  }
  return sum * dx;
}

TEST(ExpectedImprovement, ClosedFormMatchesNumericalIntegration) {
  for (const auto& [mean, sd, best] : {std::tuple{0.0, 1.0, 0.0}, std::tuple{1.0, 0.5, 0.2},
                                       std::tuple{-0.3, 2.0, 0.7}, std::tuple{0.0, 0.1, -0.25}}) {
    SCOPED_TRACE(testing::Message() << "mean=" << mean << " sd=" << sd << " best=" << best);
    const double ei = expected_improvement(mean, sd, best);
    EXPECT_NEAR(ei, integrated_ei(mean, sd, best), 1e-7);
    EXPECT_NEAR(std::exp(log_expected_improvement(mean, sd, best)), ei, 1e-12 + 1e-10 * ei);
  }
  EXPECT_NEAR(expected_improvement(0, 1, 0), 1 / std::sqrt(2 * std::numbers::pi), 1e-15);
}

TEST(ExpectedImprovement, LogStaysFiniteAndOrderedFarFromTheIncumbent) {
  // EI itself underflows to 0 here; log-EI keeps ranking the candidates.
  double previous = log_expected_improvement(0, 1, -4);
  for (double best : {-6.0, -10.0, -20.0, -30.0, -50.0, -200.0}) {
    const double v = log_expected_improvement(0, 1, best);
    EXPECT_TRUE(std::isfinite(v)) << best;
    EXPECT_LT(v, previous) << best;
    previous = v;
  }
  EXPECT_EQ(expected_improvement(0, 1, -50), 0.0);
  // Asymptotically log EI ~ log phi(z) - 2 log|z| for z -> -inf.
  const double z = -200;
  EXPECT_NEAR(log_expected_improvement(0, 1, z),
              -0.5 * z * z - 0.5 * std::log(2 * std::numbers::pi) - 2 * std::log(-z), 1e-4);
  // Continuous across the branch points of the implementation.
  for (double b : {-5.0, -25.0}) {
    EXPECT_NEAR(log_expected_improvement(0, 1, b - 1e-9), log_expected_improvement(0, 1, b + 1e-9),
                1e-6);
  }
}

// From (-1.2, 1) the path follows Rosenbrock's curved valley: the line search must lengthen
// short quasi-Newton steps (weak Wolfe curvature condition) or the curvature pairs stop updating
// and the minimiser creeps.
TEST(Lbfgs, MinimisesRosenbrockAndRespectsTheBox) {
  auto rosen = [](const Eigen::VectorXd& v) {
    return 100 * std::pow(v[1] - v[0] * v[0], 2) + std::pow(1 - v[0], 2);
  };
  Eigen::VectorXd x0(2);
  x0 << -1.2, 1.0;
  const auto free =
      minimize_lbfgs(with_numeric_gradient(rosen), x0, Eigen::VectorXd::Constant(2, -5),
                     Eigen::VectorXd::Constant(2, 5), 500);
  EXPECT_NEAR(free.x[0], 1.0, 1e-3);
  EXPECT_NEAR(free.x[1], 1.0, 1e-3);
  // With x0 <= 0.5 the constrained minimum sits on the bound.
  Eigen::VectorXd upper(2);
  upper << 0.5, 5;
  const auto boxed = minimize_lbfgs(with_numeric_gradient(rosen), x0,
                                    Eigen::VectorXd::Constant(2, -5), upper, 500);
  EXPECT_NEAR(boxed.x[0], 0.5, 1e-6);
  EXPECT_NEAR(boxed.x[1], 0.25, 1e-3);
}

}  // namespace
}  // namespace bog::tune
