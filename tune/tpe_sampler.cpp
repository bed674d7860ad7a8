// Tree-structured Parzen estimator (univariate, after Bergstra et al. 2011 and Optuna's
// defaults): the trials are split into the best gamma(n) = min(ceil(0.1 n), 25) and the rest;
// each parameter draws candidates from the "good" Parzen density l and keeps the one with the
// largest l(x) / g(x).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "tune/sampler.h"

namespace bog::tune {
namespace {

constexpr int kDefaultStartup = 10;
constexpr int kCandidates = 24;

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::numbers::sqrt2); }

// A mixture of Gaussians truncated to [0, 1] (plus a flat prior component of equal weight).
struct Parzen {
  std::vector<double> mu;
  std::vector<double> sigma;

  explicit Parzen(std::vector<double> points) {
    std::sort(points.begin(), points.end());
    const size_t n = points.size();
    const double min_bw = 1.0 / std::min(100.0, 1.0 + static_cast<double>(n));
    for (size_t i = 0; i < n; ++i) {
      const double left = i == 0 ? points[i] : points[i] - points[i - 1];
      const double right = i + 1 == n ? 1.0 - points[i] : points[i + 1] - points[i];
      mu.push_back(points[i]);
      sigma.push_back(std::clamp(std::max(left, right), min_bw, 1.0));
    }
  }

  [[nodiscard]] double log_density(double x) const {
    const double w = 1.0 / static_cast<double>(mu.size() + 1);
    double p = w;  // the flat prior on [0, 1]
    for (size_t i = 0; i < mu.size(); ++i) {
      const double mass = normal_cdf((1 - mu[i]) / sigma[i]) - normal_cdf((0 - mu[i]) / sigma[i]);
      const double z = (x - mu[i]) / sigma[i];
      p += w * std::exp(-0.5 * z * z) / (sigma[i] * std::sqrt(2 * std::numbers::pi) * mass);
    }
    return std::log(p);
  }

  [[nodiscard]] double draw(std::mt19937_64& rng) const {
    std::uniform_int_distribution<size_t> pick(0, mu.size());
    const size_t k = pick(rng);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    if (k == mu.size()) return unit(rng);
    std::normal_distribution<double> gauss(mu[k], sigma[k]);
    for (int tries = 0; tries < 100; ++tries) {
      const double v = gauss(rng);
      if (v >= 0 && v <= 1) return v;
    }
    return std::clamp(mu[k], 0.0, 1.0);
  }
};

class TpeSampler final : public Sampler {
 public:
  explicit TpeSampler(const SamplerOptions& options)
      : n_startup_(options.n_startup >= 0 ? options.n_startup : kDefaultStartup) {}

  std::string name() const override { return "tpe"; }

  std::vector<double> sample(const SearchSpace& space, const History& history,
                             std::mt19937_64& rng) const override {
    const size_t n = history.done.size();
    if (n < static_cast<size_t>(std::max(2, n_startup_))) return uniform_point(space, rng);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return history.done[a].loss < history.done[b].loss;
    });
    const size_t n_below =
        std::clamp<size_t>(static_cast<size_t>(std::ceil(0.1 * static_cast<double>(n))), 1, 25);
    std::vector<double> x(space.size());
    for (size_t i = 0; i < space.size(); ++i) {
      std::vector<double> below, above;
      for (size_t r = 0; r < n; ++r) {
        (r < n_below ? below : above).push_back(history.done[order[r]].x[i]);
      }
      x[i] = space.is_categorical(i)
                 ? sample_categorical(space.params()[i].choices.size(), below, above, rng)
                 : sample_numeric(below, above, rng);
    }
    return space.canonical(x);
  }

 private:
  static double sample_numeric(const std::vector<double>& below, const std::vector<double>& above,
                               std::mt19937_64& rng) {
    const Parzen l(below), g(above);
    double best = 0.5, best_score = -1e300;
    for (int c = 0; c < kCandidates; ++c) {
      const double v = l.draw(rng);
      const double score = l.log_density(v) - g.log_density(v);
      if (score > best_score) {
        best_score = score;
        best = v;
      }
    }
    return best;
  }

  static double sample_categorical(size_t k, const std::vector<double>& below,
                                   const std::vector<double>& above, std::mt19937_64& rng) {
    // Counts with one pseudo-observation spread over the choices.
    std::vector<double> l(k, 1.0 / static_cast<double>(k)), g(l);
    for (double v : below) l[static_cast<size_t>(v)] += 1;
    for (double v : above) g[static_cast<size_t>(v)] += 1;
    const double l_sum = std::accumulate(l.begin(), l.end(), 0.0);
    const double g_sum = std::accumulate(g.begin(), g.end(), 0.0);
    std::discrete_distribution<size_t> draw(l.begin(), l.end());
    size_t best = 0;
    double best_score = -1e300;
    for (int c = 0; c < kCandidates; ++c) {
      const size_t v = draw(rng);
      const double score = std::log(l[v] / l_sum) - std::log(g[v] / g_sum);
      if (score > best_score) {
        best_score = score;
        best = v;
      }
    }
    return static_cast<double>(best);
  }

  int n_startup_;
};

}  // namespace

std::unique_ptr<Sampler> make_tpe_sampler(const SamplerOptions& options) {
  return std::make_unique<TpeSampler>(options);
}

}  // namespace bog::tune
