#include "tune/lbfgs.h"

#include <cmath>
#include <deque>

namespace bog::tune {

Objective with_numeric_gradient(std::function<double(const Eigen::VectorXd&)> f, double h) {
  return [f = std::move(f), h](const Eigen::VectorXd& x, Eigen::VectorXd* grad) {
    const double fx = f(x);
    grad->resize(x.size());
    Eigen::VectorXd probe = x;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      probe[i] = x[i] + h;
      const double up = f(probe);
      probe[i] = x[i] - h;
      const double down = f(probe);
      probe[i] = x[i];
      (*grad)[i] = (up - down) / (2 * h);
    }
    return fx;
  };
}

LbfgsResult minimize_lbfgs(const Objective& f, Eigen::VectorXd x0, const Eigen::VectorXd& lower,
                           const Eigen::VectorXd& upper, int max_iterations, int memory) {
  auto project = [&](Eigen::VectorXd v) { return v.cwiseMax(lower).cwiseMin(upper); };
  Eigen::VectorXd x = project(std::move(x0));
  Eigen::VectorXd g;
  double fx = f(x, &g);
  std::deque<Eigen::VectorXd> s_hist, y_hist;
  LbfgsResult result;
  int it = 0;
  for (; it < max_iterations; ++it) {
    if (!std::isfinite(fx) || !g.allFinite()) break;
    // Variables pinned at a bound with the gradient pushing outward take no part in the step.
    Eigen::VectorXd free_g = g;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      if ((x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0)) free_g[i] = 0;
    }
    if (free_g.lpNorm<Eigen::Infinity>() < 1e-9) break;
    // Two-loop recursion: d = -H g.
    Eigen::VectorXd q = free_g;
    const size_t m = s_hist.size();
    std::vector<double> alpha(m);
    for (size_t k = m; k-- > 0;) {
      const double rho = 1.0 / y_hist[k].dot(s_hist[k]);
      alpha[k] = rho * s_hist[k].dot(q);
      q -= alpha[k] * y_hist[k];
    }
    if (m > 0) q *= s_hist.back().dot(y_hist.back()) / y_hist.back().squaredNorm();
    for (size_t k = 0; k < m; ++k) {
      const double rho = 1.0 / y_hist[k].dot(s_hist[k]);
      const double beta = rho * y_hist[k].dot(q);
      q += s_hist[k] * (alpha[k] - beta);
    }
    Eigen::VectorXd d = -q;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      if (free_g[i] == 0) d[i] = 0;
    }
    if (d.dot(g) >= 0) {  // not a descent direction: restart from steepest descent
      s_hist.clear();
      y_hist.clear();
      d = -free_g;
    }
    double step = 1.0;
    Eigen::VectorXd x_new, g_new;
    double f_new = fx;
    bool moved = false;
    for (int ls = 0; ls < 30; ++ls) {
      x_new = project(x + step * d);
      f_new = f(x_new, &g_new);
      if (std::isfinite(f_new) && f_new <= fx + 1e-4 * g.dot(x_new - x)) {
        moved = true;
        break;
      }
      step *= 0.5;
    }
    if (!moved) {
      if (s_hist.empty()) break;
      // A stale curvature model can point nowhere useful: retry from steepest descent.
      s_hist.clear();
      y_hist.clear();
      continue;
    }
    const Eigen::VectorXd s = x_new - x;
    const Eigen::VectorXd y = g_new - g;
    const double improvement = fx - f_new;
    x = x_new;
    g = g_new;
    fx = f_new;
    if (s.dot(y) > 1e-12) {
      s_hist.push_back(s);
      y_hist.push_back(y);
      if (static_cast<int>(s_hist.size()) > memory) {
        s_hist.pop_front();
        y_hist.pop_front();
      }
    }
    if (s.lpNorm<Eigen::Infinity>() < 1e-12 || improvement <= 1e-15 * std::max(1.0, std::abs(fx))) {
      ++it;
      break;
    }
  }
  result.x = x;
  result.value = fx;
  result.iterations = it;
  return result;
}

}  // namespace bog::tune
