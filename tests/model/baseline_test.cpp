// The fastText-style baseline learns a small synthetic separable task, deterministically.
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "model/baseline/fasttext_classifier.h"

namespace bog::model {
namespace {

// Each class has its own topic words; every text mixes them with shared filler words.
std::vector<Example> synthetic(uint64_t seed, int per_class) {
  const std::vector<std::vector<std::string>> topic = {{"minister", "election", "troops", "un"},
                                                       {"coach", "season", "goal", "cup"},
                                                       {"profit", "shares", "oil", "bank"},
                                                       {"software", "chip", "space", "nasa"}};
  const std::vector<std::string> filler = {"the", "a", "said", "on", "new", "year", "of", "in"};
  std::mt19937_64 rng(seed);
  std::vector<Example> out;
  for (int i = 0; i < per_class; ++i) {
    for (int c = 0; c < 4; ++c) {
      std::string text;
      for (int w = 0; w < 8; ++w) {
        if (w) text += ' ';
        text += (w % 3 == 0) ? topic[c][rng() % 4] : filler[rng() % filler.size()];
      }
      out.push_back({c, "", text});
    }
  }
  return out;
}

TEST(Baseline, WordsAreLowerCasedAlphanumericRuns) {
  EXPECT_EQ(baseline_words("Oil's $40 Rise\\again,  U.S."),
            (std::vector<std::string>{"oil", "s", "40", "rise", "again", "u", "s"}));
  EXPECT_TRUE(baseline_words("  ,.; ").empty());
}

TEST(Baseline, LearnsASeparableSyntheticTask) {
  SCOPED_TRACE("seed=11");
  BaselineConfig config;
  config.buckets_log2 = 12;
  config.epochs = 10;
  const auto clf = FastTextClassifier::train(synthetic(11, 100), 4, config);
  const auto test = synthetic(12, 25);
  int correct = 0;
  for (const auto& ex : test) {
    const auto p = clf.predict_proba(ex.text());
    ASSERT_EQ(p.size(), 4u);
    float sum = 0.0f;
    for (const float v : p) sum += v;
    EXPECT_NEAR(sum, 1.0f, 1e-5f);
    correct += static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()) == ex.label;
  }
  EXPECT_GE(correct, 98) << "of " << test.size();
}

TEST(Baseline, SameSeedSameModelAndTextWithoutWordsIsUniform) {
  BaselineConfig config;
  config.buckets_log2 = 10;
  const auto data = synthetic(3, 20);
  const auto a = FastTextClassifier::train(data, 4, config);
  const auto b = FastTextClassifier::train(data, 4, config);
  EXPECT_EQ(a.predict_proba("coach season goal"), b.predict_proba("coach season goal"));
  for (const float p : a.predict_proba("!!!")) EXPECT_NEAR(p, 0.25f, 0.2f);
}

TEST(Baseline, RejectsEmptyDataBadLabelsAndBadConfig) {
  EXPECT_THROW((void)FastTextClassifier::train({}, 4, {}), Error);
  EXPECT_THROW((void)FastTextClassifier::train({{4, "", "x"}}, 4, {}), Error);
  BaselineConfig bad;
  bad.dim = 0;
  EXPECT_THROW((void)FastTextClassifier::train(synthetic(1, 1), 4, bad), Error);
}

}  // namespace
}  // namespace bog::model
