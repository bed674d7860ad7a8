// The median and successive-halving pruners on hand-made learning curves.
#include "tune/pruner.h"

#include <gtest/gtest.h>

namespace bog::tune {
namespace {

TrialCurve curve(std::map<int, double> values, bool finished = true) {
  return {std::move(values), finished};
}

TEST(MedianPruner, StopsATrialBelowTheMedianOfFinishedTrialsAtThatEpoch) {
  PrunerConfig c;
  c.n_startup_trials = 3;
  c.n_warmup_epochs = 1;
  const std::vector<TrialCurve> others = {
      curve({{1, 0.70}, {2, 0.80}}), curve({{1, 0.72}, {2, 0.82}}), curve({{1, 0.74}, {2, 0.84}})};
  EXPECT_TRUE(should_prune(c, {{1, 0.5}, {2, 0.81}}, 2, others));   // 0.81 < 0.82
  EXPECT_FALSE(should_prune(c, {{1, 0.5}, {2, 0.83}}, 2, others));  // above the median
  EXPECT_FALSE(should_prune(c, {{1, 0.1}}, 1, others));             // warm-up epoch
  // Its best so far counts, not only the newest value.
  EXPECT_FALSE(should_prune(c, {{1, 0.5}, {2, 0.9}, {3, 0.6}}, 3,
                            {curve({{3, 0.85}}), curve({{3, 0.86}}), curve({{3, 0.87}})}));
}

TEST(MedianPruner, WaitsForEnoughFinishedTrials) {
  PrunerConfig c;
  c.n_startup_trials = 3;
  c.n_warmup_epochs = 0;
  const std::vector<TrialCurve> two = {curve({{1, 0.9}}), curve({{1, 0.9}}),
                                       curve({{1, 0.9}}, /*finished=*/false)};
  EXPECT_FALSE(should_prune(c, {{1, 0.1}}, 1, two));
}

TEST(SuccessiveHalving, KeepsTheTopThirdAtEachRung) {
  PrunerConfig c;
  c.type = "successive_halving";
  c.min_epochs = 1;
  c.reduction_factor = 3;
  std::vector<TrialCurve> others;
  for (double v : {0.60, 0.65, 0.70, 0.75, 0.80}) others.push_back(curve({{1, v}}, false));
  // Six trials at rung 1: the top two go on.
  EXPECT_FALSE(should_prune(c, {{1, 0.78}}, 1, others));
  EXPECT_TRUE(should_prune(c, {{1, 0.74}}, 1, others));
  EXPECT_FALSE(should_prune(c, {{1, 0.0}, {2, 0.1}}, 2, others));  // epoch 2 is no rung
  // Fewer trials than the reduction factor at a rung: nothing to compare.
  EXPECT_FALSE(should_prune(c, {{1, 0.1}}, 1, {curve({{1, 0.9}})}));
}

TEST(Pruner, NoneNeverPrunes) {
  PrunerConfig c;
  c.type = "none";
  EXPECT_FALSE(should_prune(c, {{5, 0.0}}, 5, {curve({{5, 1.0}}), curve({{5, 1.0}})}));
}

}  // namespace
}  // namespace bog::tune
