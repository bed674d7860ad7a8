// Classification metrics against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "model/metrics/classification_metrics.h"

namespace bog::model {
namespace {

TEST(ClassificationMetrics, MatchesAHandComputedTwoClassCase) {
  // Predictions: 0 (right, conf .9), 0 (wrong, .62), 1 (right, .81), 1 (right, .7).
  const std::vector<float> probs = {0.9f, 0.1f, 0.62f, 0.38f, 0.19f, 0.81f, 0.3f, 0.7f};
  const std::vector<int> labels = {0, 1, 1, 1};
  const auto m = compute_classification_metrics(probs, labels, 2);
  EXPECT_EQ(m.n, 4);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.75);
  EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{1, 0}, {1, 2}}));
  EXPECT_NEAR(m.precision[0], 0.5, 1e-12);
  EXPECT_NEAR(m.recall[0], 1.0, 1e-12);
  EXPECT_NEAR(m.precision[1], 1.0, 1e-12);
  EXPECT_NEAR(m.recall[1], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.f1[0], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.f1[1], 0.8, 1e-12);
  EXPECT_NEAR(m.macro_f1, 11.0 / 15.0, 1e-12);
  const double nll = -(std::log(0.9f) + std::log(0.38f) + std::log(0.81f) + std::log(0.7f)) / 4.0;
  EXPECT_NEAR(m.nll, nll, 1e-6);
  // Each example sits in its own bin: ECE = mean |correct - confidence|.
  EXPECT_NEAR(m.ece, (0.1 + 0.62 + 0.19 + 0.3) / 4.0, 1e-6);
}

TEST(ClassificationMetrics, EceAveragesWithinABinBeforeTakingTheGap) {
  // Both confidences fall in bin 14 (0.933.., 1]: accuracy 0.5, mean confidence 0.955.
  const std::vector<float> probs = {0.95f, 0.05f, 0.96f, 0.04f};
  const auto m = compute_classification_metrics(probs, std::vector<int>{0, 1}, 2);
  EXPECT_NEAR(m.ece, 0.455, 1e-6);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);
}

TEST(ClassificationMetrics, MissingClassGivesZeroF1AndTiesPickTheLowestIndex) {
  // Three classes; class 2 never appears nor is predicted.
  const std::vector<float> probs = {0.5f, 0.5f, 0.0f, 0.2f, 0.7f, 0.1f};
  const auto m = compute_classification_metrics(probs, std::vector<int>{0, 1}, 3);
  EXPECT_EQ(m.confusion[0][0], 1);  // the tie went to class 0
  EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(m.f1[2], 0.0);
  EXPECT_NEAR(m.macro_f1, 2.0 / 3.0, 1e-12);
}

TEST(ClassificationMetrics, ZeroProbabilityOfTheTrueClassGivesAFiniteNll) {
  const std::vector<float> probs = {1.0f, 0.0f};
  const auto m = compute_classification_metrics(probs, std::vector<int>{1}, 2);
  EXPECT_TRUE(std::isfinite(m.nll));
  EXPECT_NEAR(m.nll, -std::log(1e-12), 1e-6);
  EXPECT_NEAR(m.ece, 1.0, 1e-12);
}

TEST(ClassificationMetrics, AccumulatorEqualsOneShotAndJsonHasTheFields) {
  const std::vector<float> probs = {0.9f, 0.1f, 0.62f, 0.38f, 0.19f, 0.81f};
  const std::vector<int> labels = {0, 1, 1};
  MetricsAccumulator acc(2);
  for (size_t i = 0; i < labels.size(); ++i) {
    acc.add(std::span<const float>(probs).subspan(2 * i, 2), labels[i]);
  }
  const auto a = acc.finish();
  const auto b = compute_classification_metrics(probs, labels, 2);
  EXPECT_EQ(a.to_json(), b.to_json());
  const auto j = a.to_json();
  for (const char* key :
       {"accuracy", "macro_f1", "nll", "ece", "n", "confusion", "precision", "recall", "f1"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["n"], 3);
}

TEST(ClassificationMetrics, RejectsBadShapesAndLabelsAndHandlesEmpty) {
  EXPECT_THROW(MetricsAccumulator(0), Error);
  MetricsAccumulator acc(3);
  const std::vector<float> two = {0.5f, 0.5f};
  EXPECT_THROW(acc.add(two, 0), Error);
  const std::vector<float> three = {0.2f, 0.3f, 0.5f};
  EXPECT_THROW(acc.add(three, 3), Error);
  EXPECT_THROW(acc.add(three, -1), Error);
  EXPECT_THROW(acc.add_batch(three, std::vector<int>{0, 1}), Error);
  const auto empty = acc.finish();
  EXPECT_EQ(empty.n, 0);
  EXPECT_DOUBLE_EQ(empty.accuracy, 0.0);
}

}  // namespace
}  // namespace bog::model
