// Every subcommand's main path through the `bog` executable, and one bad input each: a bad
// input gives a non-zero exit, exactly one clear error line on stderr, and leaves nothing
// half-written where its output would have gone. Nothing here depends on timings.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/cli_test_util.h"
#include "tests/common/topic_data.h"

namespace bog::cli_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json parse_json(const RunResult& r) {
  try {
    return json::parse(r.out);
  } catch (const json::exception& e) {
    ADD_FAILURE() << "stdout is not one JSON object: " << e.what() << "\n" << r.out;
    return json::object();
  }
}

// Non-zero exit, and stderr is exactly one line "error[category]: ..." naming `needle`.
void expect_one_error_line(const RunResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0) << r.out;
  std::string err = r.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  EXPECT_EQ(err.find('\n'), std::string::npos) << "more than one line:\n" << r.err;
  EXPECT_EQ(err.rfind("error[", 0), 0u) << r.err;
  EXPECT_NE(err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
}

// Paths in `dir` (recursively), for "nothing half-written" checks.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.push_back(fs::relative(e.path(), dir).string());
  }
  return out;
}

// One tiny bundle trained by `bog train` + `bog bundle` on a topic-word data set, shared by the
// tests of this file.
class Subcommands : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    test_data::write_topic_csvs(data(), 80, 20, 7);
    write_bytes(*tmp_ / "model.yaml", test_data::kTinyModelYaml);
    write_bytes(*tmp_ / "train.yaml", test_data::kOneEpochTrainYaml);
    const RunResult t = train("run");
    ASSERT_EQ(t.exit_code, 0) << t.err;
    const RunResult b =
        run_bog({"bundle", "--checkpoint", (*tmp_ / "run/checkpoints/best.safetensors").string(),
                 "--out", bundle().string()});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    ASSERT_TRUE(fs::exists(bundle() / "manifest.json"));
  }
  static void TearDownTestSuite() { delete tmp_; }

  static RunResult train(const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"train",
                                     "--model-config",
                                     (*tmp_ / "model.yaml").string(),
                                     "--train-config",
                                     (*tmp_ / "train.yaml").string(),
                                     "--data",
                                     data().string(),
                                     "--out",
                                     (*tmp_ / out).string(),
                                     "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_bog(args);
  }
  static fs::path data() { return *tmp_ / "data"; }
  static fs::path bundle() { return *tmp_ / "bundle"; }
  static fs::path onnx() {
    const fs::path f = *tmp_ / "export" / "model.onnx";
    if (!fs::exists(f)) {
      fs::create_directories(f.parent_path());
      const RunResult r = run_bog({"export", "--bundle", bundle().string(), "--out", f.string()});
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    return f;
  }
  // A fresh folder under the suite's temp folder.
  static fs::path fresh(const std::string& name) {
    const fs::path p = *tmp_ / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }

  static inline TempDir* tmp_ = nullptr;
};

TEST_F(Subcommands, TrainResumesAndRefusesToOverwriteARun) {
  const RunResult part = train("resumed", {"--stop-after", "3"});
  ASSERT_EQ(part.exit_code, 0) << part.err;
  const RunResult again = train("resumed");
  expect_one_error_line(again, "--resume");
  const RunResult rest = train("resumed", {"--resume"});
  EXPECT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_TRUE(fs::exists(*tmp_ / "resumed" / "checkpoints" / "best.safetensors"));
}

TEST_F(Subcommands, TrainWithoutTrainCsvFailsAndWritesNoRun) {
  const fs::path empty = fresh("empty_data");
  const RunResult r = run_bog({"train", "--model-config", (*tmp_ / "model.yaml").string(),
                               "--train-config", (*tmp_ / "train.yaml").string(), "--data",
                               empty.string(), "--out", (*tmp_ / "no_run").string(), "--quiet"});
  expect_one_error_line(r, "train.csv");
  EXPECT_FALSE(fs::exists(*tmp_ / "no_run")) << "a failed start left a run folder";
}

TEST_F(Subcommands, BundleFromAMissingCheckpointFailsAndWritesNothing) {
  const RunResult r = run_bog({"bundle", "--checkpoint", (*tmp_ / "nope.safetensors").string(),
                               "--out", (*tmp_ / "no_bundle").string()});
  expect_one_error_line(r, "nope.safetensors");
  EXPECT_FALSE(fs::exists(*tmp_ / "no_bundle" / "manifest.json"));
}

TEST_F(Subcommands, PredictClassifiesTextsWithProbabilities) {
  const RunResult r =
      run_bog({"predict", "--bundle", bundle().string(), "war minister treaty", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r);
  ASSERT_EQ(j["predictions"].size(), 1u) << r.out;
  const json& p = j["predictions"][0];
  EXPECT_EQ(p["text"], "war minister treaty");
  ASSERT_EQ(p["probs"].size(), 4u);
  double sum = 0;
  for (const auto& v : p["probs"]) sum += v.get<double>();
  EXPECT_NEAR(sum, 1.0, 1e-4);
}

TEST_F(Subcommands, PredictWithAMissingBundleIsOneErrorLine) {
  expect_one_error_line(run_bog({"predict", "--bundle", (*tmp_ / "nowhere").string(), "text"}),
                        "nowhere");
}

TEST_F(Subcommands, EvalReportsMetricsOnTheTestSplit) {
  const RunResult r = run_bog({"eval", "--bundle", bundle().string(), "--data", data().string(),
                               "--split", "test", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r);
  EXPECT_NE(r.out.find("\"accuracy\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("20"), std::string::npos) << "n = 20 test rows: " << r.out;
  (void)j;
}

TEST_F(Subcommands, EvalWithoutTestCsvIsOneErrorLine) {
  const fs::path d = fresh("only_train");
  fs::copy_file(data() / "train.csv", d / "train.csv");
  expect_one_error_line(
      run_bog({"eval", "--bundle", bundle().string(), "--data", d.string(), "--split", "test"}),
      "test.csv");
}

TEST_F(Subcommands, ExportWritesAModelTheInterpreterRuns) {
  const fs::path out = fresh("export_main") / "m.onnx";
  const RunResult r =
      run_bog({"export", "--bundle", bundle().string(), "--out", out.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r);
  EXPECT_EQ(j["file"], "m.onnx");
  EXPECT_EQ(j["checker"], "passed");
  EXPECT_GT(j["nodes"].get<int>(), 0);
  const RunResult run = run_bog({"run", out.string(), "--random"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

TEST_F(Subcommands, ExportOfATamperedBundleFailsAndWritesNothing) {
  const fs::path b = fresh("tampered_bundle");
  for (const auto& e : fs::directory_iterator(bundle()))
    fs::copy_file(e.path(), b / e.path().filename());
  std::string weights = read_bytes(b / "model.safetensors");
  weights[weights.size() - 2] ^= 0x10;
  write_bytes(b / "model.safetensors", weights);
  const fs::path out_dir = fresh("export_bad");
  expect_one_error_line(
      run_bog({"export", "--bundle", b.string(), "--out", (out_dir / "m.onnx").string()}),
      "sha256");
  EXPECT_TRUE(entries(out_dir).empty()) << "left behind: " << entries(out_dir).front();
}

TEST_F(Subcommands, ParityOfTheBundleAgainstItsExportPasses) {
  const RunResult r =
      run_bog({"parity", "--bundle", bundle().string(), "--onnx", onnx().string(), "--providers",
               "reference,cpu", "--samples", "4", "--batch-sizes", "1,2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(parse_json(r).value("passed", false)) << r.out;
}

TEST_F(Subcommands, ParityWithAnUnknownProviderIsOneErrorLine) {
  expect_one_error_line(run_bog({"parity", "--bundle", bundle().string(), "--onnx", onnx().string(),
                                 "--providers", "reference,tpu"}),
                        "tpu");
}

TEST_F(Subcommands, BenchWritesRowsForEachRequestedBackend) {
  const fs::path out = fresh("bench_main") / "bench";
  const RunResult r = run_bog({"bench",
                               "--bundle",
                               bundle().string(),
                               "--onnx",
                               onnx().string(),
                               "--backends",
                               "eager,reference,cpu",
                               "--batch",
                               "1",
                               "--seq",
                               "8",
                               "--threads",
                               "1",
                               "--iterations",
                               "1",
                               "--warmup",
                               "0",
                               "--out",
                               out.string(),
                               "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r);
  ASSERT_TRUE(j.contains("rows")) << r.out;
  std::set<std::string> requested;
  for (const auto& row : j["rows"]) {
    if (row.contains("provider_requested") && row["provider_requested"].is_string())
      requested.insert(row["provider_requested"].get<std::string>());
  }
  EXPECT_TRUE(requested.count("reference")) << r.out;
  EXPECT_TRUE(requested.count("cpu")) << r.out;
  EXPECT_GE(j["rows"].size(), 3u) << r.out;
  EXPECT_TRUE(fs::exists(out / "bench.json"));
  EXPECT_TRUE(fs::exists(out / "bench.md"));
}

TEST_F(Subcommands, BenchWithNothingToRunIsOneErrorLineAndWritesNothing) {
  const fs::path out = *tmp_ / "bench_bad";
  fs::remove_all(out);
  expect_one_error_line(run_bog({"bench", "--onnx", (*tmp_ / "missing.onnx").string(), "--backends",
                                 "reference", "--out", out.string()}),
                        "missing.onnx");
  EXPECT_FALSE(fs::exists(out / "bench.json"));
}

TEST_F(Subcommands, DataInfoCountsRowsPerSplit) {
  const RunResult r = run_bog({"data", "info", data().string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("80"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("20"), std::string::npos) << r.out;
  (void)parse_json(r);
}

TEST_F(Subcommands, DataInfoOnAMissingFolderIsOneErrorLine) {
  expect_one_error_line(run_bog({"data", "info", (*tmp_ / "no_such_dir").string()}),
                        "not a directory");
}

TEST_F(Subcommands, DataFetchFromAnUnreachableServerLeavesNoDestination) {
  const fs::path dest = *tmp_ / "fetched";
  fs::remove_all(dest);
  expect_one_error_line(run_bog({"data", "fetch", "ag_news", "--dest", dest.string(), "--url-base",
                                 "http://127.0.0.1:1/"}),
                        "127.0.0.1");
  EXPECT_FALSE(fs::exists(dest));
}

TEST_F(Subcommands, TokenizerTrainWritesAModel) {
  const fs::path out = fresh("tok") / "t.model";
  const RunResult r = run_bog({"tokenizer", "train", "--data", data().string(), "--out",
                               out.string(), "--vocab-size", "40", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r);
  EXPECT_LE(j["vocab_size"].get<int>(), 40);
  EXPECT_GT(j["train_rows"].get<int>(), 0);
  EXPECT_TRUE(fs::exists(out));
}

TEST_F(Subcommands, TokenizerTrainWithoutDataIsOneErrorLineAndWritesNothing) {
  const fs::path dir = fresh("tok_bad");
  expect_one_error_line(run_bog({"tokenizer", "train", "--data", (*tmp_ / "no_data").string(),
                                 "--out", (dir / "t.model").string()}),
                        "no_data");
  EXPECT_TRUE(entries(dir).empty());
}

TEST_F(Subcommands, BaselineTrainsAndReportsTestAccuracy) {
  const RunResult r = run_bog({"baseline", "--data", data().string(), "--epochs", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r);
  EXPECT_EQ(j["n"].get<int>(), 20);
  EXPECT_GE(j["accuracy"].get<double>(), 0.0);
  EXPECT_LE(j["accuracy"].get<double>(), 1.0);
}

TEST_F(Subcommands, BaselineWithoutDataIsOneErrorLine) {
  expect_one_error_line(run_bog({"baseline", "--data", (*tmp_ / "no_data").string()}), "no_data");
}

TEST_F(Subcommands, RunProfileReportsEveryNode) {
  const fs::path m = fresh("profile") / "m.onnx";
  write_model(relu_matmul_model(), m);
  const RunResult r = run_bog(
      {"run", m.string(), "--random", "--provider", "reference", "--profile", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r);
  ASSERT_TRUE(j.contains("profile")) << r.out;
  EXPECT_EQ(j["profile"]["runs"], 3);
  std::map<std::string, int64_t> nodes_per_op;
  for (const json& op : j["profile"]["op_types"]) {
    nodes_per_op[op["op_type"].get<std::string>()] += op["nodes"].get<int64_t>();
  }
  const std::map<std::string, int64_t> want = {{"Add", 1}, {"MatMul", 1}, {"Relu", 1}};
  EXPECT_EQ(nodes_per_op, want) << j["profile"].dump();
}

TEST_F(Subcommands, RunProfileOfATruncatedModelIsOneErrorLine) {
  const fs::path m = fresh("profile_bad") / "m.onnx";
  const std::string bytes = relu_matmul_model().SerializeAsString();
  write_bytes(m, bytes.substr(0, bytes.size() / 2));
  expect_one_error_line(run_bog({"run", m.string(), "--random", "--profile", "3"}), "m.onnx");
}

TEST_F(Subcommands, EvidenceCollectFromAMissingRunIsOneErrorLineAndWritesNothing) {
  const fs::path out = *tmp_ / "evidence_bad";
  fs::remove_all(out);
  expect_one_error_line(run_bog({"evidence", "collect", "--from", (*tmp_ / "no_run").string(),
                                 "--out", out.string()}),
                        "no_run");
  EXPECT_TRUE(entries(out).empty());
}

TEST_F(Subcommands, EvidenceValidateOfAFolderWithoutIndexFails) {
  const fs::path dir = fresh("not_evidence");
  write_bytes(dir / "notes.md", "nothing here\n");
  const RunResult r = run_bog({"evidence", "validate", dir.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("index.md"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace bog::cli_test
