// The decoder LM: every parameter's gradient against finite differences (tied and untied
// heads), the next-token loss's own gradient, the cached (incremental) forward equal to the
// full forward, and config validation.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "model/lm/lm_eager.h"
#include "model/lm/lm_objective.h"
#include "tests/model/gradcheck_util.h"

namespace bog::model {
namespace {

ModelConfig small_lm(bool tied, int layers) {
  ModelConfig c = parse_model_config("architecture: tiny_llama_lm", "test");
  c.vocab_size = 13;
  c.d_model = 8;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.d_ff = 7;
  c.n_layers = layers;
  c.max_len = 12;
  c.tie_embeddings = tied;
  return c;
}

struct LmProblem {
  LmProblem(const ModelConfig& config, int seed) : rng(seed), model(config, seed) {
    for (Param* p : model.params()) {
      if (!p->decay)
        p->value.array() +=
            testing::random_mat(p->value.rows(), p->value.cols(), rng, 0.3f).array();
    }
    for (int b = 0; b < 3; ++b) {
      for (int t = 0; t < layout.lengths[b]; ++t) ids[b * 5 + t] = 2 + static_cast<int>(rng() % 11);
    }
    model.zero_grad();
    const Mat logits = model.forward(ids, layout, false, nullptr);
    model.backward(next_token_loss(logits, ids, layout, 0.1f, true).dlogits);
  }
  double loss() {
    return next_token_loss(model.forward(ids, layout, false, nullptr), ids, layout, 0.1f, false)
        .loss;
  }

  std::mt19937_64 rng;
  TinyLlamaLm model;
  SeqLayout layout{3, 5, {5, 3, 2}};
  std::vector<int> ids = std::vector<int>(15, 0);
};

TEST(TinyLlamaLm, EveryParameterGradientMatchesFiniteDifferences) {
  for (const bool tied : {true, false}) {
    SCOPED_TRACE(tied ? "tied" : "untied");
    LmProblem g(small_lm(tied, 2), tied ? 3 : 4);
    EXPECT_EQ(g.model.params().back()->name, tied ? "final_norm.weight" : "lm_head.weight");
    for (Param* p : g.model.params()) {
      const Mat grad = p->grad;
      testing::expect_gradient(
          p->value, grad, [&] { return g.loss(); }, g.rng, p->name, 12);
    }
  }
}

TEST(TinyLlamaLm, LossGradientMatchesFiniteDifferencesAndIgnoresPadding) {
  std::mt19937_64 rng(5);
  const SeqLayout layout{2, 4, {4, 2}};
  const std::vector<int> ids = {1, 2, 3, 4, 5, 6, 0, 0};
  Mat logits = testing::random_mat(8, 9, rng);
  const NextTokenLoss l = next_token_loss(logits, ids, layout, 0.2f, true);
  EXPECT_EQ(l.targets, 4);  // 3 + 1
  // Rows without a target (last real token, padding) have no gradient.
  for (int r : {3, 5, 6, 7}) EXPECT_EQ(l.dlogits.row(r).norm(), 0.0f) << r;
  testing::expect_gradient(
      logits, l.dlogits, [&] { return next_token_loss(logits, ids, layout, 0.2f, false).loss; },
      rng, "loss", 72);
  // Without smoothing the loss is the mean NLL and perplexity's exponent.
  const NextTokenLoss plain = next_token_loss(logits, ids, layout, 0.0f, false);
  EXPECT_NEAR(plain.loss, plain.nll_sum / 4, 1e-9);
  double want = 0;
  for (int r : {0, 1, 2, 4}) {
    const double lse = std::log((logits.row(r).array().cast<double>().exp()).sum());
    want += lse - logits(r, ids[r + 1]);
  }
  EXPECT_NEAR(plain.nll_sum, want, 1e-4);
}

TEST(LmEager, PrefillAndStepsEqualTheFullForward) {
  for (const bool tied : {true, false}) {
    TinyLlamaLm model(small_lm(tied, 2), 11);
    const std::vector<int> seq = {2, 7, 4, 9, 12, 5, 3, 8, 6};
    const Mat full = model.logits(seq);
    LmEager eager(model);
    const Mat pre = eager.prefill(std::span<const int>(seq).first(4));
    EXPECT_LT((pre - full.topRows(4)).cwiseAbs().maxCoeff(), 1e-5f);
    for (size_t t = 4; t < seq.size(); ++t) {
      const RowVec step = eager.step(seq[t]);
      EXPECT_LT((step - full.row(static_cast<Eigen::Index>(t))).cwiseAbs().maxCoeff(), 1e-5f)
          << "step " << t;
    }
    EXPECT_EQ(eager.position(), static_cast<int>(seq.size()));
    // A second prefill starts over.
    const Mat again = eager.prefill(seq);
    EXPECT_LT((again - full).cwiseAbs().maxCoeff(), 1e-5f);
  }
}

TEST(LmEager, BadUseThrowsClearErrors) {
  TinyLlamaLm model(small_lm(true, 1), 1);
  LmEager eager(model);
  EXPECT_THROW((void)eager.step(3), Error);  // before prefill
  const std::vector<int> too_long(13, 4);
  EXPECT_THROW((void)eager.prefill(too_long), Error);
  const std::vector<int> bad_id = {2, 99};
  EXPECT_THROW((void)eager.prefill(bad_id), Error);
  const std::vector<int> full(12, 4);
  (void)eager.prefill(full);
  EXPECT_THROW((void)eager.step(4), Error);  // past the context
}

TEST(TinyLlamaLm, ConfigValidation) {
  const ModelConfig c = parse_model_config("architecture: tiny_llama_lm", "t");
  EXPECT_TRUE(c.is_lm());
  EXPECT_TRUE(c.tie_embeddings);
  EXPECT_EQ(c.dropout, 0.0f);
  EXPECT_EQ(parse_model_config(to_json(c).dump(), "j").tie_embeddings, true);
  EXPECT_FALSE(
      parse_model_config("architecture: tiny_llama_lm\ntie_embeddings: false", "t").tie_embeddings);
  EXPECT_THROW((void)parse_model_config("architecture: tiny_llama_lm\ncausal: false", "t"), Error);
  EXPECT_THROW((void)parse_model_config("architecture: tiny_llama\ntie_embeddings: false", "t"),
               Error);
  EXPECT_FALSE(
      to_json(parse_model_config("architecture: tiny_llama", "t")).contains("tie_embeddings"));
  EXPECT_THROW(TinyLlamaLm(parse_model_config("architecture: tiny_llama", "t"), 1), Error);
}

}  // namespace
}  // namespace bog::model
