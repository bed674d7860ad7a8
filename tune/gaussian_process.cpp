#include "tune/gaussian_process.h"

#include <cmath>
#include <limits>
#include <numbers>

#include "tune/lbfgs.h"

namespace bog::tune {
namespace {

constexpr double kSqrt5 = 2.2360679774997896964;
// The lengthscale prior peaks at 0.3 of a parameter's (unit) range. Chosen on Branin and
// Hartmann-6 (docs/evidence/tuning.md): a mode of 1 left a third of the Hartmann-6 runs
// exploiting a shallow basin with lengthscales longer than the function's.
constexpr double kLengthscalePriorMode = 0.3;

// Weak priors (as Optuna's GP sampler): on each inverse squared lengthscale l,
// log p = -(0.1 / l + 0.1 l) with l measured in units of kLengthscalePriorMode; on the signal
// variance, Gamma(2, 1); on the noise, Gamma(1.1, 30).
double log_prior(const GpHyperparameters& h) {
  double lp = 0;
  for (Eigen::Index i = 0; i < h.lengthscales.size(); ++i) {
    const double inv_sq =
        kLengthscalePriorMode * kLengthscalePriorMode / (h.lengthscales[i] * h.lengthscales[i]);
    lp -= 0.1 / inv_sq + 0.1 * inv_sq;
  }
  lp += std::log(h.signal_variance) - h.signal_variance;
  lp += 0.1 * std::log(h.noise_variance) - 30 * h.noise_variance;
  return lp;
}

}  // namespace

double matern52(double r) {
  const double sr = kSqrt5 * r;
  return (1 + sr + 5.0 / 3.0 * r * r) * std::exp(-sr);
}

GaussianProcess::GaussianProcess(Eigen::MatrixXd x, Eigen::VectorXd y,
                                 std::vector<bool> categorical, GpHyperparameters hyper)
    : x_(std::move(x)), categorical_(std::move(categorical)), hyper_(std::move(hyper)) {
  const Eigen::Index n = x_.rows();
  Eigen::MatrixXd k(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j <= i; ++j) {
      k(i, j) = k(j, i) = kernel(x_.row(i).transpose(), x_.row(j).transpose());
    }
    k(i, i) += hyper_.noise_variance;
  }
  chol_.compute(k);
  if (chol_.info() != Eigen::Success) {
    // Nearly duplicate points: add jitter until the factorisation succeeds.
    for (double jitter = 1e-8; chol_.info() != Eigen::Success && jitter < 1; jitter *= 10) {
      chol_.compute(k + jitter * Eigen::MatrixXd::Identity(n, n));
    }
  }
  alpha_ = chol_.solve(y);
  const Eigen::MatrixXd l = chol_.matrixL();
  log_ml_ = -0.5 * y.dot(alpha_) - l.diagonal().array().log().sum() -
            0.5 * static_cast<double>(n) * std::log(2 * std::numbers::pi);
  if (!std::isfinite(log_ml_)) log_ml_ = -std::numeric_limits<double>::infinity();
}

double GaussianProcess::kernel(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const {
  double r2 = 0;
  for (Eigen::Index d = 0; d < a.size(); ++d) {
    const double diff = categorical_[d] ? (a[d] != b[d] ? 1.0 : 0.0) : a[d] - b[d];
    r2 += diff * diff / (hyper_.lengthscales[d] * hyper_.lengthscales[d]);
  }
  return hyper_.signal_variance * matern52(std::sqrt(r2));
}

GaussianProcess::Posterior GaussianProcess::predict(const Eigen::VectorXd& point) const {
  const Eigen::Index n = x_.rows();
  Eigen::VectorXd ks(n);
  for (Eigen::Index i = 0; i < n; ++i) ks[i] = kernel(x_.row(i).transpose(), point);
  Posterior p;
  p.mean = ks.dot(alpha_);
  const Eigen::VectorXd v = chol_.matrixL().solve(ks);
  p.variance = std::max(1e-12, hyper_.signal_variance - v.squaredNorm());
  return p;
}

GpHyperparameters fit_hyperparameters(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                      const std::vector<bool>& categorical, double min_noise,
                                      const GpHyperparameters* previous) {
  const Eigen::Index d = x.cols();
  // theta = [log lengthscales (d), log signal variance, log noise variance]
  auto unpack = [&](const Eigen::VectorXd& t) {
    GpHyperparameters h;
    h.lengthscales = t.head(d).array().exp();
    h.signal_variance = std::exp(t[d]);
    h.noise_variance = std::exp(t[d + 1]);
    return h;
  };
  auto loss = [&](const Eigen::VectorXd& t) {
    const GpHyperparameters h = unpack(t);
    const GaussianProcess gp(x, y, categorical, h);
    const double value = -(gp.log_marginal_likelihood() + log_prior(h));
    return std::isfinite(value) ? value : 1e30;
  };
  Eigen::VectorXd lower(d + 2), upper(d + 2);
  lower.head(d).setConstant(std::log(1e-2));
  upper.head(d).setConstant(std::log(1e2));
  lower[d] = std::log(1e-2);
  upper[d] = std::log(1e2);
  lower[d + 1] = std::log(min_noise);
  upper[d + 1] = std::log(1.0);

  std::vector<Eigen::VectorXd> starts;
  Eigen::VectorXd def(d + 2);
  def.head(d).setConstant(0.0);  // lengthscale 1 on a unit cube
  def[d] = 0.0;
  def[d + 1] = std::log(std::max(min_noise, 1e-4));
  starts.push_back(def);
  if (previous && previous->lengthscales.size() == d) {
    Eigen::VectorXd p(d + 2);
    p.head(d) = previous->lengthscales.array().log();
    p[d] = std::log(previous->signal_variance);
    p[d + 1] = std::log(std::max(min_noise, previous->noise_variance));
    starts.push_back(p);
  }
  const Objective objective = with_numeric_gradient(loss, 1e-5);
  LbfgsResult best;
  best.value = std::numeric_limits<double>::infinity();
  for (const auto& s : starts) {
    LbfgsResult r = minimize_lbfgs(objective, s, lower, upper, 60);
    if (r.value < best.value) best = std::move(r);
  }
  return unpack(best.x);
}

}  // namespace bog::tune
