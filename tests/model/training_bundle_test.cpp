// End to end on a tiny synthetic AG-News-shaped set: bit-identical resume, bundles and their
// tamper checks, evaluation of a bundle.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

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
  // Stopped inside the first epoch: nothing was validated, so there is no best to point at.
  EXPECT_TRUE(part.best_checkpoint.empty());
  EXPECT_FALSE(fs::exists(root_ / "split" / "checkpoints" / "best.safetensors"));
  EXPECT_TRUE(fs::exists(part.last_checkpoint));
  EXPECT_FALSE(part.is_lm);
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

// The mean training losses the run logged (metrics.jsonl "step" lines), in order.
std::vector<double> logged_losses(const fs::path& run_dir) {
  std::vector<double> out;
  std::istringstream lines(read_file(run_dir / "metrics.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.at("type") == "step") out.push_back(j.at("loss").get<double>());
  }
  return out;
}

// Held-out accuracy (test.csv, never seen in training) of a run's best checkpoint.
double test_accuracy(const fs::path& checkpoint, const fs::path& bundle_dir,
                     const fs::path& data_dir) {
  (void)write_bundle(checkpoint, bundle_dir);
  LoadedBundle bundle = load_bundle(bundle_dir);
  const auto test = read_ag_news_csv(data_dir / "test.csv");
  return evaluate(*bundle.model, tokenize_examples(test, *bundle.tokenizer, bundle.config))
      .metrics.accuracy;
}

// A working trainer must learn this task: each class is given away by its topic words. With
// the optimizer step disabled the loss stays at ln(4) = 1.386 and accuracy near chance (0.25).
TEST_F(TrainingRun, LearnsASeparableTaskLossFallsAndHeldOutAccuracyFarAboveChance) {
  write_file_atomic(root_ / "train.yaml",
                    "epochs: 6\nbatch_size: 8\nlr: 0.02\nwarmup_steps: 3\nvalid_fraction: 0.2\n"
                    "checkpoint_every: 100\nkeep_last: 1\nlog_every: 5\nthreads: 1\n");
  const TrainSummary run = train("learn", false, 0);
  EXPECT_EQ(run.steps_run, run.steps);
  const std::vector<double> losses = logged_losses(root_ / "learn");
  ASSERT_GE(losses.size(), 4u);
  SCOPED_TRACE(::testing::Message()
               << "first logged loss " << losses.front() << ", last " << losses.back());
  EXPECT_GT(losses.front(), 1.0);  // it starts near ln(4): the bound below is a real drop
  EXPECT_LT(losses.back(), 0.6);
  EXPECT_GE(run.best_valid_accuracy, 0.75);
  EXPECT_GE(test_accuracy(run.best_checkpoint, root_ / "bundle", data_), 0.75);
}

// A resume must continue from what the checkpoint holds, not retrain from scratch: it runs only
// the remaining steps, and weights changed on purpose in the checkpoint change the result.
TEST_F(TrainingRun, ResumeContinuesFromTheCheckpointItReads) {
  const TrainSummary full = train("full", false, 0);
  const TrainSummary part = train("split", false, 5);
  EXPECT_EQ(part.steps_run, 5);
  const fs::path ckpt = part.last_checkpoint;

  // A copy of the run whose step-5 checkpoint has every weight scaled by 3.
  fs::copy(root_ / "split", root_ / "tampered", fs::copy_options::recursive);
  const fs::path tampered_ckpt = root_ / "tampered" / "checkpoints" / ckpt.filename();
  StFile st = read_safetensors(tampered_ckpt);
  int scaled = 0;
  for (auto& [name, t] : st.tensors) {
    if (!name.starts_with("param/")) continue;
    for (float& v : t.data) v *= 3.0f;
    ++scaled;
  }
  ASSERT_GT(scaled, 0) << "no param/ tensors in " << ckpt;
  write_safetensors(tampered_ckpt, st);

  const TrainSummary rest = train("split", true, 0);
  EXPECT_EQ(rest.steps_run, full.steps - 5) << "resume re-ran steps the checkpoint already had";
  const TrainSummary tampered = train("tampered", true, 0);
  EXPECT_EQ(tampered.steps_run, full.steps - 5);

  const StFile a = read_safetensors(full.last_checkpoint);
  const StFile b = read_safetensors(rest.last_checkpoint);
  const StFile c = read_safetensors(tampered.last_checkpoint);
  int differing = 0;
  for (const auto& [name, t] : a.tensors) {
    if (!name.starts_with("param/")) continue;
    EXPECT_EQ(t.data, b.tensors.at(name).data) << name;
    differing += t.data != c.tensors.at(name).data;
  }
  EXPECT_GT(differing, 0) << "resuming from changed weights gave the uninterrupted run's "
                             "weights: the checkpoint was not read";
}

}  // namespace
}  // namespace bog::model
