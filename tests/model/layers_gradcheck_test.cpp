// Every layer's backward against finite differences, on random shapes including size 1 and odd
// sizes.
#include <gtest/gtest.h>

#include "model/layers/attention.h"
#include "model/layers/cross_entropy.h"
#include "model/layers/dropout.h"
#include "model/layers/embedding.h"
#include "model/layers/gelu_mlp.h"
#include "model/layers/layer_norm.h"
#include "model/layers/linear.h"
#include "model/layers/pooling.h"
#include "model/layers/rms_norm.h"
#include "model/layers/rotary.h"
#include "model/layers/swiglu_mlp.h"
#include "tests/model/gradcheck_util.h"

namespace bog::model {
namespace {

using testing::expect_gradient;
using testing::random_mat;
using testing::weighted_sum;

// Random sequence layout: batch sequences, lengths in [1, seq_len], at least one full.
SeqLayout random_layout(std::mt19937_64& rng, int max_batch, int max_len) {
  SeqLayout l;
  l.batch = 1 + static_cast<int>(rng() % max_batch);
  l.seq_len = 1 + static_cast<int>(rng() % max_len);
  for (int b = 0; b < l.batch; ++b) l.lengths.push_back(1 + static_cast<int>(rng() % l.seq_len));
  l.lengths[rng() % l.batch] = l.seq_len;
  return l;
}

// Checks d/dx and d/dparams of a layer given as forward/backward closures.
void check_layer(Mat x, const std::function<Mat(const Mat&)>& forward,
                 const std::function<Mat(const Mat&)>& backward, ParamList params,
                 std::mt19937_64& rng, const std::string& what) {
  for (Param* p : params) p->init_zero_grad();
  const Mat y = forward(x);
  const Mat r = random_mat(static_cast<int>(y.rows()), static_cast<int>(y.cols()), rng);
  const Mat dx = backward(r);
  auto loss = [&] { return weighted_sum(forward(x), r); };
  expect_gradient(x, dx, loss, rng, what + " dx");
  for (Param* p : params) {
    const Mat grad = p->grad;
    expect_gradient(p->value, grad, loss, rng, what + " d" + p->name);
  }
}

class LayerGradients : public ::testing::TestWithParam<int> {};

TEST_P(LayerGradients, Linear) {
  const int seed = GetParam();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  const int n = 1 + rng() % 5, in = 1 + rng() % 7, out = 1 + rng() % 6;
  for (bool bias : {false, true}) {
    Linear layer("lin", in, out, bias, rng);
    ParamList ps;
    layer.collect(ps);
    check_layer(
        random_mat(n, in, rng), [&](const Mat& x) { return layer.forward(x); },
        [&](const Mat& dy) { return layer.backward(dy); }, ps, rng, "linear");
  }
}

TEST_P(LayerGradients, Norms) {
  const int seed = GetParam();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  const int n = 1 + rng() % 5, d = 2 + rng() % 7;
  RmsNorm rms("rms", d, 1e-5f);
  fill_normal(rms.gain().value, rng, 1.0f);
  ParamList ps;
  rms.collect(ps);
  check_layer(
      random_mat(n, d, rng), [&](const Mat& x) { return rms.forward(x); },
      [&](const Mat& dy) { return rms.backward(dy); }, ps, rng, "rmsnorm");
  LayerNorm ln("ln", d, 1e-5f);
  fill_normal(ln.gain().value, rng, 1.0f);
  fill_normal(ln.bias().value, rng, 1.0f);
  ParamList ps2;
  ln.collect(ps2);
  check_layer(
      random_mat(n, d, rng), [&](const Mat& x) { return ln.forward(x); },
      [&](const Mat& dy) { return ln.backward(dy); }, ps2, rng, "layernorm");
}

TEST_P(LayerGradients, Mlps) {
  const int seed = GetParam();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  const int n = 1 + rng() % 4, d = 1 + rng() % 6, ff = 1 + rng() % 9;
  SwigluMlp swiglu("swiglu", d, ff, seed % 2 == 0, rng, 0.5f);
  ParamList ps;
  swiglu.collect(ps);
  check_layer(
      random_mat(n, d, rng), [&](const Mat& x) { return swiglu.forward(x); },
      [&](const Mat& dy) { return swiglu.backward(dy); }, ps, rng, "swiglu");
  for (GeluKind kind : {GeluKind::kErf, GeluKind::kTanh}) {
    GeluMlp mlp("gelu", d, ff, true, kind, rng, 0.5f);
    ParamList ps2;
    mlp.collect(ps2);
    check_layer(
        random_mat(n, d, rng), [&](const Mat& x) { return mlp.forward(x); },
        [&](const Mat& dy) { return mlp.backward(dy); }, ps2, rng, "gelu mlp");
  }
}

TEST_P(LayerGradients, AttentionAllVariants) {
  const int seed = GetParam();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  const int kv = 1 + rng() % 2;
  const int heads = kv * (1 + rng() % 2);
  const int head_dim = 2 * (1 + rng() % 2);
  const int d = heads * head_dim;
  const SeqLayout layout = random_layout(rng, 3, 5);
  Rotary rotary(head_dim, 8, 100.0f, static_cast<RopeScaling>(seed % 3), 2.0f);
  for (bool causal : {true, false}) {
    for (bool use_rope : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "causal " << causal << " rope " << use_rope);
      Attention attn("attn", d, heads, kv, causal, !use_rope, use_rope ? &rotary : nullptr, rng,
                     0.5f);
      ParamList ps;
      attn.collect(ps);
      check_layer(
          random_mat(layout.rows(), d, rng), [&](const Mat& x) { return attn.forward(x, layout); },
          [&](const Mat& dy) { return attn.backward(dy); }, ps, rng, "attention");
    }
  }
}

TEST_P(LayerGradients, RotaryBackwardIsTransposedRotation) {
  const int seed = GetParam();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  const SeqLayout layout = random_layout(rng, 3, 6);
  const int heads = 1 + rng() % 3;
  Rotary rotary(4, 8, 10000.0f, static_cast<RopeScaling>(seed % 3), 3.0f);
  check_layer(
      random_mat(layout.rows(), heads * 4, rng),
      [&](const Mat& x) {
        Mat y = x;
        rotary.apply(y, heads, layout, false);
        return y;
      },
      [&](const Mat& dy) {
        Mat dx = dy;
        rotary.apply(dx, heads, layout, true);
        return dx;
      },
      {}, rng, "rotary");
}

TEST_P(LayerGradients, EmbeddingDropoutPoolingLoss) {
  const int seed = GetParam();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  const int vocab = 1 + rng() % 9, d = 1 + rng() % 5;
  Embedding emb("emb", vocab, d, rng, 1.0f);
  std::vector<int> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(static_cast<int>(rng() % vocab));
  emb.table().init_zero_grad();
  const Mat y = emb.forward(ids);
  const Mat r = random_mat(static_cast<int>(y.rows()), d, rng);
  emb.backward(r);
  const Mat grad = emb.table().grad;
  expect_gradient(
      emb.table().value, grad, [&] { return weighted_sum(emb.forward(ids), r); }, rng, "embedding");

  Dropout dropout(0.4f);
  const Mat x = random_mat(5, d, rng);
  auto drop_forward = [&](const Mat& in) {
    std::mt19937_64 mask_rng(seed);  // the same mask on every call
    return dropout.forward(in, true, &mask_rng);
  };
  check_layer(
      x, drop_forward, [&](const Mat& dy) { return dropout.backward(dy); }, {}, rng, "dropout");

  const SeqLayout layout = random_layout(rng, 4, 5);
  for (PoolingKind kind : {PoolingKind::kMean, PoolingKind::kLast, PoolingKind::kCls}) {
    check_layer(
        random_mat(layout.rows(), d, rng),
        [&](const Mat& in) { return pool_forward(in, layout, kind); },
        [&](const Mat& dy) { return pool_backward(dy, layout, kind); }, {}, rng, "pooling");
  }

  Mat logits = random_mat(layout.batch, 4, rng, 2.0f);
  std::vector<int> labels;
  for (int b = 0; b < layout.batch; ++b) labels.push_back(static_cast<int>(rng() % 4));
  for (float smoothing : {0.0f, 0.1f}) {
    const Mat dlogits = softmax_cross_entropy(logits, labels, smoothing).dlogits;
    expect_gradient(
        logits, dlogits, [&] { return softmax_cross_entropy(logits, labels, smoothing).loss; }, rng,
        "cross entropy");
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, LayerGradients, ::testing::Range(1, 7));

}  // namespace
}  // namespace bog::model
