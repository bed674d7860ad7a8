// Standard test functions for samplers (minimised), and `bog tune bench`: several seeds of
// each sampler on each function, with no training involved.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tune/search_space.h"

namespace bog::tune {

struct BenchObjective {
  std::string name;
  SearchSpace space;
  std::function<double(const nlohmann::json& params)> evaluate;
  double minimum = 0;
};

// "branin" (x1 in [-5, 10], x2 in [0, 15]; minimum 0.397887) or "hartmann6" ([0, 1]^6;
// minimum -3.32237). Unknown names throw Error(kInvalidArgument).
[[nodiscard]] BenchObjective bench_objective(std::string_view name);

struct BenchResult {
  std::string objective;
  std::string sampler;
  double minimum = 0;
  std::vector<double> best_per_seed;
  double median_best = 0;
};

// Runs `trials` evaluations per seed (seeds 0 .. seeds-1) for every pair.
[[nodiscard]] std::vector<BenchResult> run_bench(const std::vector<std::string>& objectives,
                                                 const std::vector<std::string>& samplers,
                                                 int trials, int seeds);

// Minimises `objective` with `sampler` for `trials` evaluations; returns the best-so-far loss
// after each trial.
[[nodiscard]] std::vector<double> minimize(const BenchObjective& objective,
                                           std::string_view sampler, int trials, uint64_t seed);

// The middle value (the mean of the two middle ones for an even count); Error when empty.
[[nodiscard]] double median(std::vector<double> values);

// `workers` concurrent workers of `trials_per_worker` trials each, in rounds: each worker's
// proposal sees the finished trials and the points its peers are evaluating right now (as
// workers sharing one study do). Returns the best loss after each round.
[[nodiscard]] std::vector<double> minimize_parallel(const BenchObjective& objective,
                                                    std::string_view sampler, int workers,
                                                    int trials_per_worker, uint64_t seed);

}  // namespace bog::tune
