// Sampling: the order (penalty, temperature, top-k, top-p, draw), seeded reproducibility and
// the masks, on small hand-made logits.
#include "generate/sampling.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/error.h"

namespace bog::generate {
namespace {

std::vector<float> logits() { return {1.0f, 3.0f, 2.0f, -1.0f, 2.5f, 0.0f}; }

TEST(Sampling, GreedyTakesTheFirstMaximum) {
  std::vector<float> l = {0.5f, 2.0f, 2.0f, 1.0f};
  Rng rng(1);
  std::vector<Candidate> scratch;
  EXPECT_EQ(next_token(l, {}, SamplingOptions{}, rng, scratch), 1);
}

TEST(Sampling, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  std::vector<float> l = {2.0f, -2.0f, 4.0f};
  const std::vector<int64_t> seen = {0, 1, 1, 7};  // 1 twice: penalised once; 7 outside
  apply_repetition_penalty(l, seen, 2.0f);
  EXPECT_FLOAT_EQ(l[0], 1.0f);
  EXPECT_FLOAT_EQ(l[1], -4.0f);
  EXPECT_FLOAT_EQ(l[2], 4.0f);
  // In greedy too: token 2 stays best only while unpenalised.
  std::vector<float> g = {3.0f, 0.0f, 4.0f};
  Rng rng(0);
  std::vector<Candidate> scratch;
  SamplingOptions o;
  o.repetition_penalty = 2.0f;
  const std::vector<int64_t> seen2 = {2};
  EXPECT_EQ(next_token(g, seen2, o, rng, scratch), 0);
}

TEST(Sampling, TopKKeepsTheKMostLikely) {
  SamplingOptions o;
  o.temperature = 1.0f;
  o.top_k = 2;
  std::vector<Candidate> c;
  filter_candidates(logits(), o, c);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].token, 1);
  EXPECT_EQ(c[1].token, 4);
  EXPECT_NEAR(c[0].prob + c[1].prob, 1.0f, 1e-6);
  // Draws never leave the kept set.
  Rng rng(7);
  for (int i = 0; i < 500; ++i) {
    auto l = logits();
    const int64_t t = next_token(l, {}, o, rng, c);
    EXPECT_TRUE(t == 1 || t == 4) << t;
  }
}

TEST(Sampling, TopPKeepsTheSmallestPrefixReachingP) {
  SamplingOptions o;
  o.temperature = 1.0f;
  // softmax of logits(): p(1)=.46, p(4)=.28, p(2)=.17, ...; 0.6 needs tokens 1 and 4.
  o.top_p = 0.6f;
  std::vector<Candidate> c;
  filter_candidates(logits(), o, c);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].token, 1);
  EXPECT_EQ(c[1].token, 4);
  o.top_p = 0.3f;  // the first token alone reaches it
  filter_candidates(logits(), o, c);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FLOAT_EQ(c[0].prob, 1.0f);
}

TEST(Sampling, TemperatureSharpensAndFlattens) {
  SamplingOptions cold, hot;
  cold.temperature = 0.25f;
  hot.temperature = 4.0f;
  std::vector<Candidate> c, h;
  filter_candidates(logits(), cold, c);
  filter_candidates(logits(), hot, h);
  EXPECT_GT(c[0].prob, h[0].prob);
  EXPECT_EQ(c[0].token, 1);
}

TEST(Sampling, TheSameSeedDrawsTheSameTokens) {
  SamplingOptions o;
  o.temperature = 1.0f;
  auto draw = [&](uint64_t seed) {
    o.seed = seed;
    Rng rng(seed);
    std::vector<Candidate> scratch;
    std::vector<int64_t> out;
    for (int i = 0; i < 64; ++i) {
      auto l = logits();
      out.push_back(next_token(l, {}, o, rng, scratch));
    }
    return out;
  };
  EXPECT_EQ(draw(42), draw(42));
  EXPECT_NE(draw(42), draw(43));
  // The draw follows the distribution: the likeliest token is drawn most often.
  std::map<int64_t, int> counts;
  for (const int64_t t : draw(5)) ++counts[t];
  int best = 0;
  int64_t best_t = -1;
  for (const auto& [t, n] : counts) {
    if (n > best) best = n, best_t = t;
  }
  EXPECT_EQ(best_t, 1);
}

TEST(Sampling, BadOptionsAreRefused) {
  SamplingOptions o;
  o.top_p = 0.0f;
  EXPECT_THROW(validate(o), Error);
  o.top_p = 1.5f;
  EXPECT_THROW(validate(o), Error);
  o = {};
  o.temperature = -1.0f;
  EXPECT_THROW(validate(o), Error);
  o = {};
  o.top_k = -3;
  EXPECT_THROW(validate(o), Error);
  o = {};
  o.repetition_penalty = 0.0f;
  EXPECT_THROW(validate(o), Error);
  EXPECT_NO_THROW(validate(SamplingOptions{}));
}

}  // namespace
}  // namespace bog::generate
