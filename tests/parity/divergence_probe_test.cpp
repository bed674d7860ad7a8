// `bog parity --first-divergence`'s library half (parity/divergence_probe.h).
#include "parity/divergence_probe.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/build_paths.h"
#include "parity/graph_parity.h"

namespace bog::parity {
namespace {
namespace fs = std::filesystem;

const fs::path kTorch = fs::path(bog::source_dir()) / "tests" / "fixtures" / "torch";

TEST(DivergenceProbe, ComparesTheFirstTwoInterpreterProvidersOnly) {
  const fs::path onnx = kTorch / "bert_pre_ln_tanh.onnx";
  const fs::path set = test_data_sets(kTorch / "bert_pre_ln_tanh").front();
  int made = 0;
  const FeedsMaker feeds = [&] {
    ++made;
    return read_feeds(onnx, set);
  };
  Tolerance exact;
  exact.atol = 0;
  exact.rtol = 0;
  const nlohmann::json j =
      first_divergence_json(onnx, {"ort", "reference", "cpu"}, feeds, exact, 1);
  ASSERT_TRUE(j.is_object()) << j.dump();
  EXPECT_EQ(j["provider_a"], "reference");
  EXPECT_EQ(j["provider_b"], "cpu");
  EXPECT_GT(j["values_compared"].get<int>(), 0);
  EXPECT_EQ(made, 1);
  // One interpreter provider: nothing to compare, and the feeds are never made.
  const nlohmann::json one = first_divergence_json(onnx, {"cpu", "ort"}, feeds, exact, 1);
  EXPECT_EQ(one, "needs two interpreter providers (reference, cpu, cuda)");
  EXPECT_EQ(made, 1);
}

TEST(DivergenceProbe, BundleTextFeedsAreOneFullyMaskedRow) {
  const auto feeds =
      bundle_text_feeds(fs::path(bog::source_dir()) / "models" / "agnews-tiny-llama");
  const runtime::Tensor& ids = feeds.at("input_ids");
  const runtime::Tensor& mask = feeds.at("attention_mask");
  ASSERT_EQ(ids.shape().size(), 2u);
  EXPECT_EQ(ids.shape()[0], 1);
  EXPECT_GT(ids.shape()[1], 3) << "the probe text is several tokens";
  EXPECT_EQ(mask.shape(), ids.shape());
  for (int64_t i = 0; i < mask.numel(); ++i) EXPECT_EQ(mask.data<int64_t>()[i], 1);
}

}  // namespace
}  // namespace bog::parity
