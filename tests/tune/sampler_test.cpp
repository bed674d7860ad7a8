// Samplers and the search space: the GP on a 1-D function and on a mixed int/categorical
// space, the baselines' contracts, encoding, conditions and tune.yaml errors.
#include "tune/sampler.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "tune/benchmark_functions.h"
#include "tune/tune_config.h"

namespace bog::tune {
namespace {

using nlohmann::json;

SearchSpace space_from_yaml(const std::string& yaml) {
  return parse_search_space(yaml_to_json(yaml, "test"), "test");
}

TEST(GpSampler, FindsTheMinimumOfAOneDimensionalFunction) {
  BenchObjective o;
  o.space = space_from_yaml("[{name: x, type: float, low: -2, high: 3}]");
  // Two local minima; the global one is at x = 1.3 (value -1), the other at -1.2 (value -0.5).
  o.evaluate = [](const json& p) {
    const double x = p["x"].get<double>();
    return -std::exp(-4 * (x - 1.3) * (x - 1.3)) - 0.5 * std::exp(-4 * (x + 1.2) * (x + 1.2));
  };
  for (uint64_t seed = 0; seed < 4; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    const auto best = minimize(o, "gp", 14, seed);
    EXPECT_LT(best.back(), -1 + 1e-3);
  }
}

TEST(GpSampler, HandlesIntAndCategoricalParameters) {
  BenchObjective o;
  o.space = space_from_yaml(
      "[{name: k, type: int, low: 0, high: 20}, {name: c, type: categorical, choices: [a, b, c]},"
      " {name: x, type: float, low: 0, high: 1}]");
  o.evaluate = [](const json& p) {
    const double k = p["k"].get<double>();
    return (k - 13) * (k - 13) / 20 + (p["c"] == "b" ? 0.0 : 2.0) +
           std::pow(p["x"].get<double>() - 0.4, 2);
  };
  for (uint64_t seed = 0; seed < 3; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    EXPECT_LT(minimize(o, "gp", 30, seed).back(), 0.06);  // k = 13 (or 12/14 with x close), c = b
  }
}

TEST(GpSampler, BeatsRandomSearchOnBranin) {
  const BenchObjective o = bench_objective("branin");
  for (uint64_t seed = 0; seed < 3; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    EXPECT_LT(minimize(o, "gp", 25, seed).back(), 0.397887 + 0.05);
  }
  EXPECT_GT(minimize(o, "random", 25, 0).back(), 0.397887 + 0.05);
}

TEST(Samplers, ProposeCanonicalPointsInsideTheSpace) {
  const SearchSpace s = space_from_yaml(
      "[{name: lr, type: float, low: 1.0e-4, high: 1.0e-1, log: true},"
      " {name: n, type: int, low: 64, high: 256, step: 64},"
      " {name: arch, type: categorical, choices: [tiny_llama, modern_encoder]}]");
  for (const std::string name : {"gp", "random", "tpe"}) {
    SCOPED_TRACE(name);
    const auto sampler = make_sampler(name);
    std::mt19937_64 rng(3);
    History h;
    for (int t = 0; t < 14; ++t) {
      const auto x = sampler->sample(s, h, rng);
      EXPECT_EQ(x, s.canonical(x));
      const json p = s.decode(x);
      EXPECT_GE(p["lr"].get<double>(), 1e-4 * (1 - 1e-9));
      EXPECT_LE(p["lr"].get<double>(), 1e-1 * (1 + 1e-9));
      EXPECT_EQ(p["n"].get<int>() % 64, 0);
      h.done.push_back({x, std::abs(std::log10(p["lr"].get<double>()) + 2.5)});
    }
  }
  EXPECT_THROW((void)make_sampler("cmaes"), Error);
}

TEST(SearchSpace, EncodesDecodesAndDropsInactiveConditionalParameters) {
  const SearchSpace s = space_from_yaml(
      "[{name: arch, type: categorical, choices: [a, b]},"
      " {name: depth, type: int, low: 1, high: 4, when: {arch: b}},"
      " {name: lr, type: float, low: 0.001, high: 0.1, log: true}]");
  const json p = {{"arch", "b"}, {"depth", 3}, {"lr", 0.01}};
  const json back = s.decode(s.encode(p));
  EXPECT_EQ(back["arch"], "b");
  EXPECT_EQ(back["depth"], 3);
  EXPECT_NEAR(back["lr"].get<double>(), 0.01, 1e-12);
  EXPECT_NEAR(s.encode(p)[2], 0.5, 1e-12);  // log scale: 0.01 is the middle of [0.001, 0.1]
  const json a = s.decode(s.encode({{"arch", "a"}, {"depth", 3}, {"lr", 0.01}}));
  EXPECT_FALSE(a.contains("depth"));
  // Every int value is equally likely under a uniform encoded draw: cells of width 1/4.
  EXPECT_EQ(s.decode({1, 0.24, 0.5})["depth"], 1);
  EXPECT_EQ(s.decode({1, 0.26, 0.5})["depth"], 2);
  EXPECT_EQ(s.decode({1, 1.0, 0.5})["depth"], 4);
}

TEST(TuneConfig, RejectsBadFilesWithOneLineNamingTheKey) {
  const std::string base = "base: {model: m.yaml, train: t.yaml}\n";
  const std::pair<std::string, std::string> cases[] = {
      {base + "params: [{name: train.lr, type: float, low: 1, high: 0.5}]", "low 1 must be below"},
      {base + "params: [{name: train.lr, type: float, low: 0, high: 1, log: true}]", "log range"},
      {base + "params: [{name: train.lr, type: real, low: 0, high: 1}]", "type must be"},
      {base + "params: [{name: lr, type: float, low: 0, high: 1}]", "model. or train."},
      {base + "params: [{name: train.lr, type: float, low: 0, high: 1, when: {model.x: 1}}]",
       "not an earlier parameter"},
      {base + "sampler: cmaes\nparams: [{name: train.lr, type: float, low: 0, high: 1}]",
       "sampler"},
      {base + "pruner: {type: hyperband}\nparams: [{name: train.lr, type: float, low: 0, high: 1}]",
       "pruner.type"},
      {base + "trials: 0\nparams: [{name: train.lr, type: float, low: 0, high: 1}]", "trials"},
      {base + "params: []", "params"},
      {"params: [{name: train.lr, type: float, low: 0, high: 1}]", "base"},
      {base + "colour: red\nparams: [{name: train.lr, type: float, low: 0, high: 1}]",
       "unknown key 'colour'"},
      {"[unclosed", "not valid YAML"},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    try {
      (void)parse_tune_config(text, "tune.yaml");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("tune.yaml: ", 0), 0u) << what;
      EXPECT_NE(what.find(expected), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

}  // namespace
}  // namespace bog::tune
