// AdamW, gradient clipping and the learning-rate schedule on hand-computed values.
#include <gtest/gtest.h>

#include <cmath>

#include "model/train/adamw.h"
#include "model/train/batching.h"

namespace bog::model {
namespace {

TEST(AdamW, FirstStepMovesBySignTimesLrAndDecaysOnlyMarkedParams) {
  Param w{"w", Mat::Constant(1, 2, 1.0f), Mat::Zero(1, 2), true};
  Param g{"g", Mat::Constant(1, 2, 1.0f), Mat::Zero(1, 2), false};
  w.grad << 0.5f, -2.0f;
  g.grad << 0.5f, -2.0f;
  AdamW opt({&w, &g}, {0.9f, 0.99f, 1e-12f, 0.1f});
  opt.step(0.01f);
  // Bias-corrected first step: m_hat / sqrt(v_hat) = sign(g).
  EXPECT_NEAR(w.value(0, 0), 1.0f * (1 - 0.01f * 0.1f) - 0.01f, 1e-6);
  EXPECT_NEAR(w.value(0, 1), 1.0f * (1 - 0.01f * 0.1f) + 0.01f, 1e-6);
  EXPECT_NEAR(g.value(0, 0), 0.99f, 1e-6);
  EXPECT_NEAR(g.value(0, 1), 1.01f, 1e-6);
  EXPECT_EQ(opt.steps(), 1);
}

TEST(ClipGradNorm, ScalesToMaxNormAndReportsTheOriginal) {
  Param a{"a", Mat::Zero(1, 2), Mat::Zero(1, 2), true};
  a.grad << 3.0f, 4.0f;
  EXPECT_NEAR(clip_grad_norm({&a}, 1.0f), 5.0, 1e-6);
  EXPECT_NEAR(a.grad.norm(), 1.0f, 1e-5);
  EXPECT_NEAR(clip_grad_norm({&a}, 0.0f), 1.0, 1e-5);  // disabled
}

TEST(Schedule, WarmupThenCosineToFloor) {
  EXPECT_FLOAT_EQ(warmup_cosine_lr(0, 10, 110, 1.0f, 0.1f), 0.1f);
  EXPECT_FLOAT_EQ(warmup_cosine_lr(9, 10, 110, 1.0f, 0.1f), 1.0f);
  EXPECT_NEAR(warmup_cosine_lr(60, 10, 110, 1.0f, 0.1f), 0.55f, 1e-6);
  EXPECT_NEAR(warmup_cosine_lr(110, 10, 110, 1.0f, 0.1f), 0.1f, 1e-6);
}

TEST(Batching, EpochBatchesCoverEverythingOnceAndAreReproducible) {
  for (int seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    TokenizedSet set;
    const int n = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      set.ids.push_back(std::vector<int>(1 + rng() % 30, 5));
      set.labels.push_back(i % 4);
    }
    const auto a = epoch_batches(set, 7, 3, seed, 0);
    const auto b = epoch_batches(set, 7, 3, seed, 0);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.size(), static_cast<size_t>((n + 6) / 7));
    std::vector<int> seen(n, 0);
    for (const auto& batch : a) {
      for (int i : batch) ++seen[i];
    }
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), n);
    if (n > 20) {
      EXPECT_NE(a, epoch_batches(set, 7, 3, seed, 1));
    }
    const Batch batch = make_batch(set, a[0], 0);
    EXPECT_EQ(batch.layout.rows(), static_cast<int>(batch.ids.size()));
  }
}

}  // namespace
}  // namespace bog::model
