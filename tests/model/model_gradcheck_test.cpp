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

void check_model(const ModelConfig& config, int seed) {
  std::mt19937_64 rng(seed);
  TransformerClassifier model(config, seed);
  // Random (non-identity) norm gains so their gradients are exercised too.
  for (Param* p : model.params()) {
    if (!p->decay)
      p->value.array() += testing::random_mat(p->value.rows(), p->value.cols(), rng, 0.3f).array();
  }
  SeqLayout layout{3, 5, {5, 2, 1}};
  std::vector<int> ids(15, 0);
  for (int b = 0; b < 3; ++b) {
    for (int t = 0; t < layout.lengths[b]; ++t) ids[b * 5 + t] = 4 + static_cast<int>(rng() % 7);
    if (config.prepend_cls) ids[b * 5] = 2;
  }
  const std::vector<int> labels = {0, 3, 1};
  model.zero_grad();
  const Mat logits = model.forward(ids, layout, false, nullptr);
  model.backward(softmax_cross_entropy(logits, labels, 0.1f).dlogits);
  auto loss = [&] {
    return softmax_cross_entropy(model.forward(ids, layout, false, nullptr), labels, 0.1f).loss;
  };
  for (Param* p : model.params()) {
    const Mat grad = p->grad;
    testing::expect_gradient(p->value, grad, loss, rng, p->name, 12);
  }
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
