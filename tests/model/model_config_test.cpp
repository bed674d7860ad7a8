// Model and train config parsing: defaults per architecture, round trips and clear errors.
#include "model/model_config.h"

#include <gtest/gtest.h>

#include "common/build_paths.h"
#include "common/error.h"
#include "model/train/train_config.h"

namespace bog::model {
namespace {

// Expects Error(kInvalidArgument) whose message contains `needle`.
template <typename F>
void expect_invalid(F&& f, const std::string& needle) {
  try {
    f();
    FAIL() << "no error; expected one naming " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ModelConfig, ShippedConfigsParse) {
  const auto llama = load_model_config(std::string(bog::source_dir()) + "/configs/model.yaml");
  EXPECT_EQ(llama.architecture, "tiny_llama");
  EXPECT_EQ(llama.norm, NormKind::kRms);
  EXPECT_EQ(llama.positions, PositionKind::kRope);
  EXPECT_TRUE(llama.causal);
  EXPECT_LT(llama.n_kv_heads, llama.n_heads);
  const auto modern =
      load_model_config(std::string(bog::source_dir()) + "/configs/model.modern.yaml");
  EXPECT_EQ(modern.architecture, "modern_encoder");
  EXPECT_EQ(modern.pooling, PoolingKind::kCls);
  EXPECT_FALSE(modern.causal);
  EXPECT_EQ(modern.mlp, MlpKind::kGelu);
  EXPECT_GT(load_train_config(std::string(bog::source_dir()) + "/configs/train.yaml").epochs, 0);
}

TEST(ModelConfig, ArchitectureDefaultsAndJsonRoundTrip) {
  const auto c = parse_model_config("architecture: modern_encoder\nn_heads: 3\nd_model: 12", "t");
  EXPECT_EQ(c.n_kv_heads, 3);  // encoder default: one kv head per query head
  EXPECT_EQ(c.norm, NormKind::kLayer);
  const auto again = parse_model_config(to_json(c).dump(), "json");
  EXPECT_EQ(to_json(again), to_json(c));
}

TEST(ModelConfig, RejectsBadConfigsNamingTheKey) {
  expect_invalid([] { (void)parse_model_config("architecture: tiny_llama\nd_modle: 8", "t"); },
                 "d_modle: unknown key");
  expect_invalid([] { (void)parse_model_config("architecture: gpt9", "t"); }, "architecture");
  expect_invalid([] { (void)parse_model_config("d_model: 8", "t"); }, "architecture: missing");
  expect_invalid(
      [] { (void)parse_model_config("architecture: tiny_llama\nd_model: 10\nn_heads: 4", "t"); },
      "n_heads");
  expect_invalid(
      [] { (void)parse_model_config("architecture: tiny_llama\nn_heads: 4\nn_kv_heads: 3", "t"); },
      "n_kv_heads");
  expect_invalid(
      [] { (void)parse_model_config("architecture: tiny_llama\nn_heads: 2\nn_kv_heads: 4", "t"); },
      "n_kv_heads");
  expect_invalid([] { (void)parse_model_config("architecture: tiny_llama\nd_model: -4", "t"); },
                 "d_model");
  expect_invalid([] { (void)parse_model_config("architecture: tiny_llama\nd_model: abc", "t"); },
                 "d_model");
  expect_invalid([] { (void)parse_model_config("architecture: tiny_llama\nmlp: relu", "t"); },
                 "mlp");
  expect_invalid([] { (void)parse_model_config("architecture: tiny_llama\ndropout: 1.5", "t"); },
                 "dropout");
  expect_invalid([] { (void)parse_model_config("architecture: tiny_llama\npooling: cls", "t"); },
                 "pooling");
  expect_invalid(
      [] {
        (void)parse_model_config("architecture: tiny_llama\nd_model: 12\nn_heads: 4\nn_kv_heads: 2",
                                 "t");
      },
      "even head size");
  expect_invalid([] { (void)parse_model_config("[1, 2", "t"); }, "not valid YAML");
  expect_invalid([] { (void)parse_model_config("- a\n- b", "t"); }, "mapping");
}

TEST(TrainConfig, RejectsBadValuesNamingTheKey) {
  EXPECT_EQ(parse_train_config("epochs: 2\nlr: 0.01", "t").epochs, 2);
  expect_invalid([] { (void)parse_train_config("epoch: 2", "t"); }, "epoch: unknown key");
  expect_invalid([] { (void)parse_train_config("batch_size: 0", "t"); }, "batch_size");
  expect_invalid([] { (void)parse_train_config("label_smoothing: 1", "t"); }, "label_smoothing");
  expect_invalid([] { (void)parse_train_config("tokenizer_type: wordpiece", "t"); },
                 "tokenizer_type");
  expect_invalid([] { (void)parse_train_config("lr: fast", "t"); }, "lr");
}

}  // namespace
}  // namespace bog::model
