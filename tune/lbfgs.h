// A small box-constrained L-BFGS (projected two-loop recursion with a weak-Wolfe line search
// along the projected path), used to fit GP hyperparameters and to maximise the acquisition
// function.
#pragma once

#include <Eigen/Core>
#include <functional>

namespace bog::tune {

// Returns f(x) and writes its gradient into *grad.
using Objective = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd* grad)>;

// Central-difference gradient of `f` (for objectives without an analytic one). `h` is an
// absolute step (the callers' variables are log-parameters or lie in the unit cube); the error
// is smallest near cbrt(machine epsilon) ~ 6e-6 times the variable's scale, and any step from
// 1e-7 to 1e-5 keeps it well below the minimiser's tolerances.
[[nodiscard]] Objective with_numeric_gradient(std::function<double(const Eigen::VectorXd&)> f,
                                              double h = 1e-6);

struct LbfgsResult {
  Eigen::VectorXd x;
  double value = 0;
  int iterations = 0;
};

// Minimises f over lower <= x <= upper from x0 (clamped into the box first).
[[nodiscard]] LbfgsResult minimize_lbfgs(const Objective& f, Eigen::VectorXd x0,
                                         const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
                                         int max_iterations = 100, int memory = 8);

}  // namespace bog::tune
