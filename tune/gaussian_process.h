// Gaussian-process regression with a Matérn-5/2 ARD kernel. Categorical dimensions (choice
// indices) enter the distance as "same or different", scaled by their own lengthscale.
// Hyperparameters are fitted by maximising the log marginal likelihood plus weak priors.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <vector>

namespace bog::tune {

struct GpHyperparameters {
  Eigen::VectorXd lengthscales;  // one per dimension
  double signal_variance = 1.0;
  double noise_variance = 1e-6;
};

// k(r) = s (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r), r the scaled distance.
[[nodiscard]] double matern52(double r);

class GaussianProcess {
 public:
  // x: n points (rows); y: their values; categorical[i]: dimension i holds choice indices.
  GaussianProcess(Eigen::MatrixXd x, Eigen::VectorXd y, std::vector<bool> categorical,
                  GpHyperparameters hyper);

  struct Posterior {
    double mean = 0;
    double variance = 0;
  };
  [[nodiscard]] Posterior predict(const Eigen::VectorXd& point) const;
  [[nodiscard]] double kernel(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const;
  // log p(y | X, hyper) (without the priors).
  [[nodiscard]] double log_marginal_likelihood() const { return log_ml_; }
  [[nodiscard]] const GpHyperparameters& hyper() const { return hyper_; }

 private:
  Eigen::MatrixXd x_;
  std::vector<bool> categorical_;
  GpHyperparameters hyper_;
  Eigen::LLT<Eigen::MatrixXd> chol_;
  Eigen::VectorXd alpha_;  // K^-1 y
  double log_ml_ = 0;
};

// Maximum a-posteriori hyperparameters for (x, y): L-BFGS over log-parameters from the default
// start and from `previous` (when it has the right size). y should be standardised.
[[nodiscard]] GpHyperparameters fit_hyperparameters(const Eigen::MatrixXd& x,
                                                    const Eigen::VectorXd& y,
                                                    const std::vector<bool>& categorical,
                                                    double min_noise = 1e-6,
                                                    const GpHyperparameters* previous = nullptr);

}  // namespace bog::tune
