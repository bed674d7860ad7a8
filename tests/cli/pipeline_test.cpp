// `bog pipeline` end to end on a bundle trained here by `bog train` and `bog bundle`: every stage
// runs, the matrix names requested and used provider per row, the evidence validates, and
// accuracy rows appear only when --data is given. Nothing here depends on timings.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli/cli_test_util.h"
#include "tests/common/topic_data.h"

namespace bog::cli_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class Pipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    const fs::path data = *tmp_ / "data";
    test_data::write_topic_csvs(data, 80, 20, 3);
    write_bytes(*tmp_ / "model.yaml", test_data::kTinyModelYaml);
    write_bytes(*tmp_ / "train.yaml", test_data::kOneEpochTrainYaml);
    const RunResult t = run_bog({"train", "--model-config", (*tmp_ / "model.yaml").string(),
                                 "--train-config", (*tmp_ / "train.yaml").string(), "--data",
                                 data.string(), "--out", (*tmp_ / "run").string()});
    ASSERT_EQ(t.exit_code, 0) << t.err;
    const RunResult b =
        run_bog({"bundle", "--checkpoint", (*tmp_ / "run/checkpoints/best.safetensors").string(),
                 "--out", (*tmp_ / "bundle").string()});
    ASSERT_EQ(b.exit_code, 0) << b.err;
  }
  static void TearDownTestSuite() { delete tmp_; }

  static RunResult pipeline(const std::string& out, const std::string& evidence,
                            std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"pipeline",
                                     "--bundle",
                                     (*tmp_ / "bundle").string(),
                                     "--out",
                                     (*tmp_ / out).string(),
                                     "--evidence",
                                     (*tmp_ / evidence).string(),
                                     "--samples",
                                     "6",
                                     "--iterations",
                                     "1",
                                     "--warmup",
                                     "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_bog(args);
  }

  static inline TempDir* tmp_ = nullptr;
};

TEST_F(Pipeline, RunsEveryStageAndLeavesValidEvidence) {
  const RunResult r = pipeline("p1", "ev1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* stage :
       {"export", "check", "parity", "bench", "evidence collect", "evidence validate"}) {
    EXPECT_NE(r.err.find(std::string("] ") + stage), std::string::npos) << stage << "\n" << r.err;
  }
  EXPECT_NE(r.out.find("requested and used provider per row"), std::string::npos) << r.out;
  // The cuda row exists and says what really ran (this build has no CUDA device to use).
  bool cuda_row = false;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("cuda") != std::string::npos && line.find("cpu") != std::string::npos) {
      cuda_row = true;
    }
  }
  EXPECT_TRUE(cuda_row) << r.out;
  EXPECT_NE(r.out.find("evidence"), std::string::npos);
  EXPECT_NE(r.out.find("(valid)"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(*tmp_ / "ev1" / "benchmark.json"));
  EXPECT_TRUE(fs::exists(*tmp_ / "ev1" / "parity.md"));
  EXPECT_FALSE(fs::exists(*tmp_ / "ev1" / "accuracy.md")) << "no --data, no accuracy rows";
  const RunResult v = run_bog({"evidence", "validate", (*tmp_ / "ev1").string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(Pipeline, DataAddsAccuracyRowsBesideTheBaseline) {
  const RunResult r = pipeline("p2", "ev2", {"--data", (*tmp_ / "data").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Accuracy on AG News test.csv"), std::string::npos) << r.out;
  const json eval = json::parse(read_bytes(*tmp_ / "ev2" / "eval.json"));
  ASSERT_EQ(eval.size(), 2u);
  EXPECT_EQ(eval[0]["model"], "bundle");
  EXPECT_EQ(eval[0]["n"], 20);
  EXPECT_EQ(eval[1]["model"], "baseline");
  EXPECT_EQ(eval[1]["n"], 20);
  const std::string md = read_bytes(*tmp_ / "ev2" / "accuracy.md");
  EXPECT_NE(md.find("| bundle | tiny_llama | test | 20 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| baseline |"), std::string::npos) << md;

  // A later run without data must not keep the earlier run's accuracy figures.
  const RunResult again = pipeline("p2", "ev2");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_FALSE(fs::exists(*tmp_ / "ev2" / "accuracy.md"));
  EXPECT_FALSE(fs::exists(*tmp_ / "p2" / "accuracy"));
}

TEST_F(Pipeline, RefusesEvidenceInsideTheRunFolderAndAlsoEvalWithoutData) {
  const RunResult inside = pipeline("p3", "p3/evidence");
  EXPECT_NE(inside.exit_code, 0);
  EXPECT_NE(inside.err.find("--evidence must not be inside --out"), std::string::npos)
      << inside.err;
  const RunResult no_data = pipeline("p4", "ev4", {"--also-eval", (*tmp_ / "bundle").string()});
  EXPECT_NE(no_data.exit_code, 0);
  EXPECT_NE(no_data.err.find("--also-eval needs --data"), std::string::npos) << no_data.err;
}

}  // namespace
}  // namespace bog::cli_test
