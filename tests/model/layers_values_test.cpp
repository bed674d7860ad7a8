// Small cases computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "model/layers/attention.h"
#include "model/layers/cross_entropy.h"
#include "model/layers/gelu_mlp.h"
#include "model/layers/layer_norm.h"
#include "model/layers/linear.h"
#include "model/layers/pooling.h"
#include "model/layers/rms_norm.h"
#include "model/layers/rotary.h"

namespace bog::model {
namespace {

TEST(LayerValues, RmsNormOfThreeFour) {
  RmsNorm norm("n", 2, 0.0f);
  Mat x(1, 2);
  x << 3, 4;
  const Mat y = norm.forward(x);  // rms = sqrt(12.5)
  EXPECT_NEAR(y(0, 0), 3 / std::sqrt(12.5f), 1e-6);
  EXPECT_NEAR(y(0, 1), 4 / std::sqrt(12.5f), 1e-6);
}

TEST(LayerValues, LayerNormOfOneTwoThree) {
  LayerNorm norm("n", 3, 0.0f);
  Mat x(1, 3);
  x << 1, 2, 3;
  const Mat y = norm.forward(x);  // var = 2/3
  EXPECT_NEAR(y(0, 0), -std::sqrt(1.5f), 1e-5);
  EXPECT_NEAR(y(0, 1), 0, 1e-6);
  EXPECT_NEAR(y(0, 2), std::sqrt(1.5f), 1e-5);
}

TEST(LayerValues, LinearComputesXWPlusB) {
  std::mt19937_64 rng(1);
  Linear lin("l", 2, 1, true, rng);
  lin.weight().value << 2, -1;
  lin.bias().value << 0.5;
  Mat x(2, 2);
  x << 1, 1, 3, 2;
  const Mat y = lin.forward(x);
  EXPECT_FLOAT_EQ(y(0, 0), 1.5f);
  EXPECT_FLOAT_EQ(y(1, 0), 4.5f);
}

TEST(LayerValues, GeluKnownPoints) {
  EXPECT_NEAR(gelu(1.0f, GeluKind::kErf), 0.8413447f, 1e-6);
  EXPECT_NEAR(gelu(1.0f, GeluKind::kTanh), 0.8411920f, 1e-6);
  EXPECT_NEAR(gelu(-2.0f, GeluKind::kErf), -0.0455003f, 1e-6);
  EXPECT_FLOAT_EQ(gelu(0.0f, GeluKind::kTanh), 0.0f);
}

TEST(LayerValues, RotaryRotatesPairsByPositionTimesFrequency) {
  // head_dim 2: one pair, inv_freq 1, so position p rotates by p radians.
  Rotary rope(2, 4, 10000.0f, RopeScaling::kNone, 1.0f);
  SeqLayout layout{1, 3, {3}};
  Mat x(3, 2);
  x << 1, 0, 1, 0, 1, 0;
  rope.apply(x, 1, layout, false);
  EXPECT_NEAR(x(0, 0), 1, 1e-6);
  EXPECT_NEAR(x(1, 0), std::cos(1.0f), 1e-6);
  EXPECT_NEAR(x(1, 1), std::sin(1.0f), 1e-6);
  EXPECT_NEAR(x(2, 0), std::cos(2.0f), 1e-6);
  // Linear scaling by 2 halves the angle.
  Rotary scaled(2, 4, 10000.0f, RopeScaling::kLinear, 2.0f);
  Mat z(3, 2);
  z << 1, 0, 1, 0, 1, 0;
  scaled.apply(z, 1, layout, false);
  EXPECT_NEAR(z(2, 0), std::cos(1.0f), 1e-6);
  // Inverse undoes the rotation.
  rope.apply(x, 1, layout, true);
  EXPECT_NEAR(x(2, 0), 1, 1e-6);
  EXPECT_NEAR(x(2, 1), 0, 1e-6);
}

TEST(LayerValues, SingleTokenAttentionReturnsProjectedValue) {
  // With one token the softmax weight is 1, so the output is x Wv Wo whatever Wq, Wk are.
  std::mt19937_64 rng(3);
  Attention attn("a", 4, 2, 1, true, false, nullptr, rng, 0.5f);
  ParamList ps;
  attn.collect(ps);
  Mat x(1, 4);
  x << 0.5, -1, 2, 0.25;
  const Mat y = attn.forward(x, SeqLayout{1, 1, {1}});
  const Mat& wv = ps[2]->value;
  const Mat& wo = ps[3]->value;
  Mat v = x * wv;  // [1, 2]: one kv head of size 2, shared by both query heads
  Mat ctx(1, 4);
  ctx << v, v;
  const Mat expected = ctx * wo;
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(y(0, j), expected(0, j), 1e-5);
}

TEST(LayerValues, PaddingDoesNotChangeRealTokens) {
  std::mt19937_64 rng(4);
  Attention attn("a", 4, 2, 2, false, false, nullptr, rng, 0.5f);
  Mat x(3, 4);
  fill_normal(x, rng, 1.0f);
  const Mat short_out = attn.forward(x.topRows(2), SeqLayout{1, 2, {2}});
  Mat padded = x;
  padded.row(2).setConstant(100.0f);  // garbage in the pad row
  const Mat padded_out = attn.forward(padded, SeqLayout{1, 3, {2}});
  for (int r = 0; r < 2; ++r) {
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(padded_out(r, j), short_out(r, j), 1e-5);
  }
}

TEST(LayerValues, PoolingKinds) {
  Mat x(4, 1);
  x << 1, 3, 5, 7;
  const SeqLayout layout{2, 2, {2, 1}};
  EXPECT_FLOAT_EQ(pool_forward(x, layout, PoolingKind::kMean)(0, 0), 2.0f);
  EXPECT_FLOAT_EQ(pool_forward(x, layout, PoolingKind::kMean)(1, 0), 5.0f);
  EXPECT_FLOAT_EQ(pool_forward(x, layout, PoolingKind::kLast)(0, 0), 3.0f);
  EXPECT_FLOAT_EQ(pool_forward(x, layout, PoolingKind::kLast)(1, 0), 5.0f);
  EXPECT_FLOAT_EQ(pool_forward(x, layout, PoolingKind::kCls)(1, 0), 5.0f);
}

TEST(LayerValues, CrossEntropyOfUniformLogitsIsLogClasses) {
  const Mat logits = Mat::Zero(2, 4);
  const std::vector<int> labels = {0, 3};
  EXPECT_NEAR(softmax_cross_entropy(logits, labels, 0.0f).loss, std::log(4.0), 1e-6);
  EXPECT_NEAR(softmax_cross_entropy(logits, labels, 0.3f).loss, std::log(4.0), 1e-6);
  const auto r = softmax_cross_entropy(logits, labels, 0.0f);
  EXPECT_NEAR(r.dlogits(0, 0), (0.25 - 1.0) / 2, 1e-6);
  EXPECT_NEAR(r.dlogits(0, 1), 0.25 / 2, 1e-6);
}

}  // namespace
}  // namespace bog::model
