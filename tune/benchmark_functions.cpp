#include "tune/benchmark_functions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "common/error.h"
#include "tune/sampler.h"

namespace bog::tune {
namespace {

ParamSpec float_param(std::string name, double low, double high) {
  ParamSpec p;
  p.name = std::move(name);
  p.low = low;
  p.high = high;
  return p;
}

double branin(double x1, double x2) {
  const double pi = std::numbers::pi;
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  const double a = x2 - b * x1 * x1 + c * x1 - 6;
  return a * a + 10 * (1 - t) * std::cos(x1) + 10;
}

double hartmann6(const std::vector<double>& x) {
  static const double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double kA[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                  {0.05, 10, 17, 0.1, 8, 14},
                                  {3, 3.5, 1.7, 10, 17, 8},
                                  {17, 8, 0.05, 10, 0.1, 14}};
  static const double kP[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                  {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                  {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                  {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) inner += kA[i][j] * (x[j] - kP[i][j]) * (x[j] - kP[i][j]);
    sum += kAlpha[i] * std::exp(-inner);
  }
  return -sum;
}

}  // namespace

BenchObjective bench_objective(std::string_view name) {
  BenchObjective o;
  o.name = std::string(name);
  if (name == "branin") {
    o.space = SearchSpace({float_param("x1", -5, 10), float_param("x2", 0, 15)});
    o.evaluate = [](const nlohmann::json& p) {
      return branin(p["x1"].get<double>(), p["x2"].get<double>());
    };
    o.minimum = 0.397887;
  } else if (name == "hartmann6") {
    std::vector<ParamSpec> params;
    for (int i = 1; i <= 6; ++i) params.push_back(float_param(fmt::format("x{}", i), 0, 1));
    o.space = SearchSpace(std::move(params));
    o.evaluate = [](const nlohmann::json& p) {
      std::vector<double> x;
      for (int i = 1; i <= 6; ++i) x.push_back(p[fmt::format("x{}", i)].get<double>());
      return hartmann6(x);
    };
    o.minimum = -3.32237;
  } else {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("unknown objective '{}' (known: branin, hartmann6)", name));
  }
  return o;
}

std::vector<double> minimize(const BenchObjective& objective, std::string_view sampler_name,
                             int trials, uint64_t seed) {
  // One worker: each round is one trial, with nothing running beside it.
  return minimize_parallel(objective, sampler_name, 1, trials, seed);
}

std::vector<double> minimize_parallel(const BenchObjective& objective,
                                      std::string_view sampler_name, int workers,
                                      int trials_per_worker, uint64_t seed) {
  SamplerOptions options;
  options.seed = seed;
  const auto sampler = make_sampler(sampler_name, options);
  std::mt19937_64 rng(seed * 7919 + 17);
  History history;
  std::vector<double> best_so_far;
  double best = std::numeric_limits<double>::infinity();
  for (int round = 0; round < trials_per_worker; ++round) {
    history.running.clear();
    for (int w = 0; w < workers; ++w) {
      history.running.push_back(sampler->sample(objective.space, history, rng));
    }
    for (const auto& x : history.running) {
      const double loss = objective.evaluate(objective.space.decode(x));
      history.done.push_back({x, loss});
      best = std::min(best, loss);
    }
    best_so_far.push_back(best);
  }
  return best_so_far;
}

double median(std::vector<double> values) {
  if (values.empty()) throw Error(ErrorCategory::kInvalidArgument, "median of no values");
  std::sort(values.begin(), values.end());
  const size_t m = values.size();
  return m % 2 ? values[m / 2] : 0.5 * (values[m / 2 - 1] + values[m / 2]);
}

std::vector<BenchResult> run_bench(const std::vector<std::string>& objectives,
                                   const std::vector<std::string>& samplers, int trials,
                                   int seeds) {
  if (trials < 1 || seeds < 1) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("--trials and --seeds must be at least 1 (got {} and {})", trials, seeds));
  }
  std::vector<BenchObjective> objs;
  for (const auto& name : objectives) objs.push_back(bench_objective(name));
  for (const auto& s : samplers) (void)make_sampler(s);  // unknown names fail before any work
  std::vector<BenchResult> results;
  for (const auto& o : objs) {
    for (const auto& s : samplers) {
      BenchResult r;
      r.objective = o.name;
      r.sampler = s;
      r.minimum = o.minimum;
      for (int seed = 0; seed < seeds; ++seed) {
        r.best_per_seed.push_back(minimize(o, s, trials, static_cast<uint64_t>(seed)).back());
      }
      r.median_best = median(r.best_per_seed);
      results.push_back(std::move(r));
    }
  }
  return results;
}

}  // namespace bog::tune
