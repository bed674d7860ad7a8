// Both whole models against finite differences, and their determinism.
#include <gtest/gtest.h>

#include "model/layers/cross_entropy.h"
#include "model/transformer_classifier.h"
#include "tests/model/gradcheck_util.h"

namespace bog::model {
namespace {

ModelConfig small(const std::string& arch, int seed) {
  ModelConfig c = parse_model_config("architecture: " + arch, "test");
  c.vocab_size = 11;
  c.d_model = 8;
  c.n_heads = 2;
  c.n_kv_heads = arch == "tiny_llama" ? 1 : 2;
  c.d_ff = 6 + seed % 3;
  c.n_layers = 1 + seed % 2;
  c.max_len = 6;
  c.dropout = 0.0f;
  return c;
}

// A model with random (non-identity) norm gains so their gradients are exercised too, one
// batch of three sequences of lengths 5, 2 and 1, and every parameter's gradient computed.
struct GradProblem {
  GradProblem(const ModelConfig& config, int seed) : rng(seed), model(config, seed) {
    for (Param* p : model.params()) {
      if (!p->decay)
        p->value.array() +=
            testing::random_mat(p->value.rows(), p->value.cols(), rng, 0.3f).array();
    }
    for (int b = 0; b < 3; ++b) {
      for (int t = 0; t < layout.lengths[b]; ++t) ids[b * 5 + t] = 4 + static_cast<int>(rng() % 7);
      if (config.prepend_cls) ids[b * 5] = 2;
    }
    model.zero_grad();
    model.backward(
        softmax_cross_entropy(model.forward(ids, layout, false, nullptr), labels, 0.1f).dlogits);
  }
  double loss() {
    return softmax_cross_entropy(model.forward(ids, layout, false, nullptr), labels, 0.1f).loss;
  }

  std::mt19937_64 rng;
  TransformerClassifier model;
  SeqLayout layout{3, 5, {5, 2, 1}};
  std::vector<int> ids = std::vector<int>(15, 0);
  std::vector<int> labels = {0, 3, 1};
};

void check_model(const ModelConfig& config, int seed) {
  GradProblem g(config, seed);
  for (Param* p : g.model.params()) {
    const Mat grad = p->grad;
    testing::expect_gradient(
        p->value, grad, [&] { return g.loss(); }, g.rng, p->name, 12);
  }
}

// The check must see a broken gradient for every parameter, not only the large ones: zero or
// halve one parameter's analytic gradient at a time and the check must reject it.
void expect_broken_gradients_caught(const ModelConfig& config, int seed) {
  GradProblem g(config, seed);
  const auto loss = [&] { return g.loss(); };
  for (Param* p : g.model.params()) {
    SCOPED_TRACE(p->name);
    if (testing::gradient_is_structurally_zero(p->name)) continue;
    const Mat right = p->grad;
    const testing::GradientCheck ok = testing::check_gradient(p->value, right, loss, g.rng, 12);
    EXPECT_LT(ok.relative_error, testing::kMaxRelativeError);
    EXPECT_GE(ok.numeric_norm, testing::kMinCheckedNorm);
    const Mat zeroed = Mat::Zero(right.rows(), right.cols());
    EXPECT_GT(testing::check_gradient(p->value, zeroed, loss, g.rng, 12).relative_error,
              testing::kMaxRelativeError)
        << "a zeroed gradient passes";
    const Mat halved = right * 0.5f;
    EXPECT_GT(testing::check_gradient(p->value, halved, loss, g.rng, 12).relative_error,
              testing::kMaxRelativeError)
        << "a halved gradient passes";
  }
}

TEST(GradientCheck, CatchesAZeroedOrHalvedGradientOfEveryParameter) {
  expect_broken_gradients_caught(small("tiny_llama", 1), 1);
  expect_broken_gradients_caught(small("modern_encoder", 2), 2);
}

class ModelGradients : public ::testing::TestWithParam<int> {};

TEST_P(ModelGradients, TinyLlama) {
  SCOPED_TRACE(GetParam());
  check_model(small("tiny_llama", GetParam()), GetParam());
}

TEST_P(ModelGradients, ModernEncoder) {
  SCOPED_TRACE(GetParam());
  check_model(small("modern_encoder", GetParam()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Seeds, ModelGradients, ::testing::Range(1, 4));

TEST(TransformerClassifier, SameSeedSameWeightsAndParamNamesUnique) {
  const ModelConfig c = small("tiny_llama", 1);
  TransformerClassifier a(c, 7), b(c, 7);
  std::set<std::string> names;
  for (size_t i = 0; i < a.params().size(); ++i) {
    EXPECT_TRUE(a.params()[i]->value == b.params()[i]->value);
    EXPECT_TRUE(names.insert(a.params()[i]->name).second) << a.params()[i]->name;
  }
}

}  // namespace
}  // namespace bog::model
