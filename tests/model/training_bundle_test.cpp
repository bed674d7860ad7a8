// End to end on a tiny synthetic AG-News-shaped set: bit-identical resume, bundles and their
// tamper checks, evaluation of a bundle.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/io/safetensors.h"
#include "model/train/evaluate.h"
#include "model/train/trainer.h"

namespace bog::model {
namespace {
namespace fs = std::filesystem;

const char* kWords[4][4] = {{"war", "minister", "election", "treaty"},
                            {"match", "goal", "season", "coach"},
                            {"shares", "profit", "market", "bank"},
                            {"software", "chip", "internet", "robot"}};

// A data dir with train.csv / test.csv whose class is given away by its topic words.
fs::path make_data(const fs::path& dir, uint64_t seed) {
  fs::create_directories(dir);
  std::mt19937_64 rng(seed);
  for (const auto& [name, rows] : {std::pair{"train.csv", 96}, std::pair{"test.csv", 24}}) {
    std::ofstream out(dir / name);
    for (int i = 0; i < rows; ++i) {
      const int label = i % 4;
      std::string desc;
      for (int w = 0; w < 3 + static_cast<int>(rng() % 6); ++w) {
        desc += std::string(w ? " " : "") + (rng() % 3 ? kWords[label][rng() % 4] : "the");
      }
      out << '"' << label + 1 << "\",\"" << (i % 5 ? kWords[label][i % 4] : "") << "\",\"" << desc
          << "\"\n";
    }
  }
  return dir;
}

class TrainingRun : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("bog_train_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    data_ = make_data(root_ / "data", 5);
    write_file_atomic(root_ / "model.yaml",
                      "architecture: tiny_llama\nvocab_size: 40\nd_model: 8\nn_heads: 2\n"
                      "n_kv_heads: 1\nd_ff: 12\nmax_len: 12\ndropout: 0.1\n");
    write_file_atomic(root_ / "train.yaml",
                      "epochs: 3\nbatch_size: 8\nlr: 0.01\nwarmup_steps: 3\nvalid_fraction: 0.2\n"
                      "checkpoint_every: 4\nkeep_last: 2\nlog_every: 5\nthreads: 1\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  TrainSummary train(const std::string& run, bool resume, int64_t stop_after) {
    TrainOptions o;
    o.model_config = root_ / "model.yaml";
    o.train_config = root_ / "train.yaml";
    o.data_dir = data_;
    o.out_dir = root_ / run;
    o.resume = resume;
    o.stop_after_steps = stop_after;
    o.command = "test";
    o.quiet = true;
    return run_training(o);
  }

  fs::path root_, data_;
};

TEST_F(TrainingRun, ResumeIsBitIdenticalToAnUninterruptedRun) {
  const TrainSummary full = train("full", false, 0);
  EXPECT_GT(full.steps, 8);
  const TrainSummary part = train("split", false, 5);
  EXPECT_EQ(part.steps, 5);
  EXPECT_THROW(train("split", false, 0), Error);  // fresh start over checkpoints is refused
  const TrainSummary rest = train("split", true, 0);
  EXPECT_EQ(rest.steps, full.steps);
  const StFile a = read_safetensors(full.last_checkpoint);
  const StFile b = read_safetensors(rest.last_checkpoint);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, t] : a.tensors) {
    ASSERT_TRUE(b.tensors.count(name)) << name;
    EXPECT_EQ(t.data, b.tensors.at(name).data) << name << " differs after resume";
  }
  EXPECT_EQ(a.metadata.at("rng_state"), b.metadata.at("rng_state"));
  EXPECT_TRUE(fs::exists(root_ / "full" / "metrics.jsonl"));
  EXPECT_TRUE(fs::exists(root_ / "full" / "config.json"));
  EXPECT_TRUE(fs::exists(full.best_checkpoint));
  // keep_last 2: only the two newest step checkpoints remain.
  int step_files = 0;
  for (const auto& e : fs::directory_iterator(root_ / "full" / "checkpoints")) {
    step_files += e.path().filename().string().starts_with("step_");
  }
  EXPECT_EQ(step_files, 2);
}

TEST_F(TrainingRun, ResumeWithoutCheckpointIsAnError) {
  EXPECT_THROW(train("none", true, 0), Error);
}

TEST_F(TrainingRun, BundleLoadsEvaluatesAndDetectsTampering) {
  const TrainSummary run = train("run", false, 0);
  const fs::path bundle_dir = root_ / "bundle";
  const auto manifest = write_bundle(run.best_checkpoint, bundle_dir);
  EXPECT_EQ(manifest["architecture"], "tiny_llama");
  EXPECT_EQ(manifest["labels"][3], "Sci/Tech");
  EXPECT_EQ(manifest["provenance"]["data_rows"], 96);
  EXPECT_EQ(manifest["files"]["model.safetensors"]["sha256"].get<std::string>().size(), 64u);

  LoadedBundle bundle = load_bundle(bundle_dir);
  const auto test = read_ag_news_csv(data_ / "test.csv");
  const auto set = tokenize_examples(test, *bundle.tokenizer, bundle.config);
  const EvalResult eval = evaluate(*bundle.model, set);
  EXPECT_EQ(eval.metrics.n, 24);
  EXPECT_GE(eval.metrics.accuracy, 0.0);
  for (size_t i = 0; i < test.size(); ++i) {
    float sum = 0;
    for (int j = 0; j < 4; ++j) sum += eval.probs[i * 4 + j];
    EXPECT_NEAR(sum, 1.0f, 1e-5);
  }

  // One byte of the weights changed: a hash error naming the file, before anything is built.
  std::string weights = read_file(bundle_dir / "model.safetensors");
  weights[weights.size() - 3] ^= 0x01;
  write_file_atomic(bundle_dir / "model.safetensors", weights);
  try {
    (void)load_bundle(bundle_dir);
    FAIL() << "tampered bundle loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("model.safetensors fails its sha256"), std::string::npos)
        << e.what();
  }
}

TEST_F(TrainingRun, MismatchedOrIncompleteBundlesGiveOneClearError) {
  const TrainSummary run = train("run", false, 0);
  const fs::path dir = root_ / "bundle";
  const auto manifest = write_bundle(run.best_checkpoint, dir);
  auto expect_bad = [&](const nlohmann::json& m, const std::string& needle) {
    write_file_atomic(dir / "manifest.json", m.dump());
    try {
      (void)load_bundle(dir);
      FAIL() << "accepted; expected " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto m = manifest;
  m["architecture"] = "gpt9";
  expect_bad(m, "unknown architecture");
  m = manifest;
  m["architecture"] = "modern_encoder";
  expect_bad(m, "disagrees");
  m = manifest;
  m["model_config"]["d_model"] = 16;
  expect_bad(m, "shape");
  m = manifest;
  m["format_version"] = 99;
  expect_bad(m, "format_version");
  m = manifest;
  m["files"]["../escape"] = {{"sha256", "0"}};
  expect_bad(m, "plain name");
  m = manifest;
  fs::remove(dir / "tokenizer.model");
  expect_bad(m, "tokenizer.model is missing");
  EXPECT_THROW((void)load_bundle(root_ / "nowhere"), Error);
}

}  // namespace
}  // namespace bog::model
