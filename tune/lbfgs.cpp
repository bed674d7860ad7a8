#include "tune/lbfgs.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

namespace bog::tune {

Objective with_numeric_gradient(std::function<double(const Eigen::VectorXd&)> f, double h) {
  return [f = std::move(f), h](const Eigen::VectorXd& x, Eigen::VectorXd* grad) {
    const double fx = f(x);
    grad->resize(x.size());
    Eigen::VectorXd probe = x;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      // Divided by the step actually taken: x + h and x - h round to representable values.
      probe[i] = x[i] + h;
      const double up_x = probe[i];
      const double up = f(probe);
      probe[i] = x[i] - h;
      const double down_x = probe[i];
      const double down = f(probe);
      probe[i] = x[i];
      (*grad)[i] = (up - down) / (up_x - down_x);
    }
    return fx;
  };
}

namespace {

struct Point {
  Eigen::VectorXd x, g;
  double f = 0;
};

// Weak-Wolfe line search along the projected path t -> P(x + t d) (bisection and doubling,
// Lewis & Overton): sufficient decrease f(t) <= f(0) + c1 g's and curvature g(t)'s >= c2 g's,
// with s = P(x + t d) - x. It extrapolates past t0 while the slope stays steep, so a short
// quasi-Newton direction is lengthened instead of being taken as it is. Returns false when no
// step lowers f; otherwise *out holds the accepted point (the last sufficient-decrease one when
// the curvature condition cannot be met, e.g. once the path is clamped by the box).
bool wolfe_search(const Objective& f, const Point& at, const Eigen::VectorXd& d, double t0,
                  const Eigen::VectorXd& lower, const Eigen::VectorXd& upper, Point* out) {
  constexpr double kC1 = 1e-4;
  constexpr double kC2 = 0.9;
  double lo = 0;
  double hi = std::numeric_limits<double>::infinity();
  double t = t0;
  bool found = false;
  Eigen::VectorXd previous_x;
  for (int trial = 0; trial < 60; ++trial) {
    Point p;
    p.x = (at.x + t * d).cwiseMax(lower).cwiseMin(upper);
    const Eigen::VectorXd s = p.x - at.x;
    if (s.lpNorm<Eigen::Infinity>() == 0) break;  // the step underflowed
    if (found && p.x == previous_x) break;        // doubling no longer moves: clamped by the box
    previous_x = p.x;
    p.f = f(p.x, &p.g);
    const double slope0 = at.g.dot(s);
    const bool decrease = std::isfinite(p.f) && p.g.allFinite() && p.f < at.f &&
                          p.f <= at.f + kC1 * std::min(slope0, 0.0);
    if (!decrease) {
      hi = t;
    } else {
      *out = std::move(p);
      found = true;
      if (out->g.dot(s) >= kC2 * slope0) return true;
      lo = t;
    }
    t = std::isinf(hi) ? 2 * t : 0.5 * (lo + hi);
    if (hi - lo <= 1e-16 * hi) break;
  }
  return found;
}

}  // namespace

LbfgsResult minimize_lbfgs(const Objective& f, Eigen::VectorXd x0, const Eigen::VectorXd& lower,
                           const Eigen::VectorXd& upper, int max_iterations, int memory) {
  Point cur;
  cur.x = x0.cwiseMax(lower).cwiseMin(upper);
  cur.f = f(cur.x, &cur.g);
  std::deque<Eigen::VectorXd> s_hist, y_hist;
  LbfgsResult result;
  int it = 0;
  for (; it < max_iterations; ++it) {
    if (!std::isfinite(cur.f) || !cur.g.allFinite()) break;
    const Eigen::VectorXd& x = cur.x;
    const Eigen::VectorXd& g = cur.g;
    // Variables pinned at a bound with the gradient pushing outward take no part in the step.
    Eigen::VectorXd free_g = g;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      if ((x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0)) free_g[i] = 0;
    }
    if (free_g.lpNorm<Eigen::Infinity>() < 1e-9) break;
    // Two-loop recursion: d = -H g, H0 = (s'y / y'y) I from the newest pair.
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
    if (m == 0 || d.dot(g) >= 0) {  // no model, or not a descent direction: steepest descent
      s_hist.clear();
      y_hist.clear();
      d = -free_g;
    }
    // A quasi-Newton step is tried at unit length; steepest descent first at length 1.
    const double t0 = s_hist.empty() ? 1.0 / std::max(1.0, d.norm()) : 1.0;
    Point next;
    if (!wolfe_search(f, cur, d, t0, lower, upper, &next)) {
      if (s_hist.empty()) break;
      // A stale curvature model can point nowhere useful: retry from steepest descent.
      s_hist.clear();
      y_hist.clear();
      continue;
    }
    const Eigen::VectorXd s = next.x - cur.x;
    const Eigen::VectorXd y = next.g - cur.g;
    const double improvement = cur.f - next.f;
    cur = std::move(next);
    // Only pairs with positive curvature keep H positive definite (Wolfe steps always qualify
    // on the unclamped path).
    if (s.dot(y) > 1e-10 * s.norm() * y.norm()) {
      s_hist.push_back(s);
      y_hist.push_back(y);
      if (static_cast<int>(s_hist.size()) > memory) {
        s_hist.pop_front();
        y_hist.pop_front();
      }
    }
    if (s.lpNorm<Eigen::Infinity>() < 1e-12 ||
        improvement <= 1e-15 * std::max(1.0, std::abs(cur.f))) {
      ++it;
      break;
    }
  }
  result.x = cur.x;
  result.value = cur.f;
  result.iterations = it;
  return result;
}

}  // namespace bog::tune
