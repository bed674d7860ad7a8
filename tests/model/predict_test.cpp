// One text through a shipped bundle (model/train/predict.h), as `bog predict` prints it.
#include "model/train/predict.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "common/build_paths.h"

namespace bog::model {
namespace {

TEST(PredictText, ProbabilitiesOverTheLabelsAndTheLargestIsTheLabel) {
  const LoadedBundle b =
      load_bundle(std::filesystem::path(bog::source_dir()) / "models" / "agnews-tiny-llama");
  const TextPrediction p = predict_text(b, "the team won the championship game last night");
  ASSERT_EQ(p.probs.size(), b.labels.size());
  EXPECT_NEAR(std::accumulate(p.probs.begin(), p.probs.end(), 0.0), 1.0, 1e-5);
  EXPECT_EQ(p.label, std::max_element(p.probs.begin(), p.probs.end()) - p.probs.begin());
  EXPECT_EQ(b.labels[static_cast<size_t>(p.label)], "Sports");
}

}  // namespace
}  // namespace bog::model
