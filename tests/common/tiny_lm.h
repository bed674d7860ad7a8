// A tiny decoder LM bundle (tiny_llama_lm, GQA 2:1) trained by `bog train` + `bog bundle` for
// one epoch on topic_data's CSVs: what generation tests decode, in about a second. Needs the
// CLI tests' helpers (tests/cli/cli_test_util.cpp) linked in.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/cli/cli_test_util.h"
#include "tests/common/topic_data.h"

namespace bog::test_data {

inline constexpr const char* kTinyLmYaml =
    "architecture: tiny_llama_lm\nvocab_size: 40\nd_model: 16\nn_layers: 2\nn_heads: 2\n"
    "n_kv_heads: 1\nd_ff: 24\nmax_len: 24\ndropout: 0.0\n";
inline constexpr int kTinyLmContext = 24;

// Writes root/data (train.csv, test.csv) and root/bundle; returns the bundle folder, or an
// empty path when a step failed (its stderr in `error`).
inline std::filesystem::path make_tiny_lm_bundle(const std::filesystem::path& root,
                                                 std::string& error) {
  using cli_test::run_bog;
  write_topic_csvs(root / "data", 80, 20, 5);
  cli_test::write_bytes(root / "lm.yaml", kTinyLmYaml);
  cli_test::write_bytes(root / "train.yaml", kOneEpochTrainYaml);
  const cli_test::RunResult t =
      run_bog({"train", "--model-config", (root / "lm.yaml").string(), "--train-config",
               (root / "train.yaml").string(), "--data", (root / "data").string(), "--out",
               (root / "run").string(), "--quiet"});
  if (t.exit_code != 0) {
    error = "bog train: " + t.err;
    return {};
  }
  const cli_test::RunResult b =
      run_bog({"bundle", "--checkpoint", (root / "run/checkpoints/best.safetensors").string(),
               "--out", (root / "bundle").string()});
  if (b.exit_code != 0) {
    error = "bog bundle: " + b.err;
    return {};
  }
  return root / "bundle";
}

// Copies the ONNX file `from` to `to` with the float initializer whose name contains `part`
// negated (metadata kept, so it still names its bundle): a graph that computes another model.
// False when no such initializer exists.
inline bool write_negated_initializer(const std::filesystem::path& from,
                                      const std::filesystem::path& to, const std::string& part) {
  onnx::ModelProto m;
  if (!m.ParseFromString(cli_test::read_bytes(from))) return false;
  for (onnx::TensorProto& t : *m.mutable_graph()->mutable_initializer()) {
    if (t.name().find(part) == std::string::npos || !t.has_raw_data()) continue;
    std::vector<float> v(t.raw_data().size() / sizeof(float));
    std::memcpy(v.data(), t.raw_data().data(), v.size() * sizeof(float));
    for (float& x : v) x = -x;
    t.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    cli_test::write_model(m, to);
    return true;
  }
  return false;
}

// A test suite over one tiny LM bundle, trained once in SetUpTestSuite (a suite that needs more
// calls this first). Suites run one after another, so they may share the statics.
class TinyLmSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new cli_test::TempDir();
    std::string error;
    bundle_ = make_tiny_lm_bundle(tmp_->path(), error);
    ASSERT_FALSE(bundle_.empty()) << error;
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }
  static inline cli_test::TempDir* tmp_ = nullptr;
  static inline std::filesystem::path bundle_;
};

}  // namespace bog::test_data
