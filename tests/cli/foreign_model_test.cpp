// End-to-end tests of the commands on PyTorch-exported models (tests/fixtures/torch/):
// `parity --onnx --inputs` writes the report that lets `bench --onnx` time a foreign model,
// a changed byte makes that report stale, `inspect --provider` shows the optimized graph and
// `--no-optimize` turns the passes off.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/build_paths.h"
#include "tests/cli/cli_test_util.h"

namespace bog::cli_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kTorch = fs::path(bog::source_dir()) / "tests" / "fixtures" / "torch";

json parse_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
  return j;
}

// The fixture and its data sets copied into `tmp` (parity writes its report beside the model).
fs::path copy_fixture(const TempDir& tmp, const std::string& name) {
  fs::copy_file(kTorch / (name + ".onnx"), tmp / (name + ".onnx"));
  fs::copy(kTorch / name, tmp / name, fs::copy_options::recursive);
  return tmp / (name + ".onnx");
}

std::vector<std::string> bench_args(const fs::path& model, const fs::path& out) {
  return {"bench", "--onnx", model.string(), "--backends", "cpu",      "--batch", "1",
          "--seq", "8",      "--threads",    "1",          "--warmup", "0",       "--iterations",
          "1",     "--out",  out.string(),   "--json"};
}

const json& only_row(const json& report) {
  EXPECT_EQ(report["rows"].size(), 1u) << report.dump();
  return report["rows"][0];
}

TEST(ForeignModel, ParityWritesTheReportThatLetsBenchTimeIt) {
  const TempDir tmp;
  const fs::path model = copy_fixture(tmp, "llama_gqa");

  // Before parity: bench refuses to report timings.
  const RunResult before = run_bog(bench_args(model, tmp / "bench0"));
  ASSERT_EQ(before.exit_code, 0) << before.err;
  const json row0 = only_row(parse_json(before.out));
  EXPECT_EQ(row0["parity_status"], "missing");
  EXPECT_TRUE(row0["mean_ms"].is_null());
  EXPECT_NE(row0["note"].get<std::string>().find("parity missing"), std::string::npos) << row0;

  const RunResult p =
      run_bog({"parity", "--onnx", model.string(), "--inputs", (tmp / "llama_gqa").string(),
               "--providers", "reference,cpu", "--json"});
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  const json pj = parse_json(p.out);
  EXPECT_TRUE(pj["passed"].get<bool>());
  EXPECT_EQ(pj["reference"], "expected outputs (output_K.pb)");
  EXPECT_EQ(pj["batch_sizes"], json::parse("[3,1,5]"));  // the three data sets
  EXPECT_EQ(pj["samples"], 9);
  ASSERT_EQ(pj["results"].size(), 2u);
  for (const json& r : pj["results"]) {
    EXPECT_TRUE(r["passed"].get<bool>()) << r;
    EXPECT_EQ(r["rows"], 9) << r;
    EXPECT_LT(r["max_abs_diff"].get<double>(), 1e-3) << r;
  }
  ASSERT_TRUE(fs::exists(tmp / "llama_gqa.onnx.parity.json"));
  const json file = json::parse(read_bytes(tmp / "llama_gqa.onnx.parity.json"));
  for (const char* key :
       {"passed", "artifact", "artifact_sha256", "bundle_sha256", "reference", "texts", "samples",
        "batch_sizes", "tolerance", "ort_version", "results", "optimize"}) {
    EXPECT_TRUE(file.contains(key)) << key;
  }
  EXPECT_EQ(file["artifact"], "llama_gqa.onnx");
  EXPECT_EQ(file["artifact_sha256"].get<std::string>().size(), 64u);

  // After parity: the same bench call times it, with token ids inside the 500-token vocabulary.
  const RunResult after = run_bog(bench_args(model, tmp / "bench1"));
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const json row1 = only_row(parse_json(after.out));
  EXPECT_EQ(row1["parity_status"], "passed") << row1;
  EXPECT_TRUE(row1["mean_ms"].is_number()) << row1;
  EXPECT_EQ(row1["optimize"], true);

  // One byte of a weight changed: the report no longer vouches for the file.
  std::string bytes = read_bytes(model);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  write_bytes(model, bytes);
  const RunResult stale = run_bog(bench_args(model, tmp / "bench2"));
  ASSERT_EQ(stale.exit_code, 0) << stale.err;
  const json row2 = only_row(parse_json(stale.out));
  EXPECT_EQ(row2["parity_status"], "missing") << row2;
  EXPECT_TRUE(row2["mean_ms"].is_null());
}

TEST(ForeignModel, ParityOnEveryTorchFixtureAgainstItsExpectedOutputs) {
  for (const char* name : {"bert_post_ln_erf", "bert_pre_ln_tanh", "llama_gqa", "gpt2_block"}) {
    const TempDir tmp;
    const fs::path model = copy_fixture(tmp, name);
    const RunResult p = run_bog({"parity", "--onnx", model.string(), "--inputs",
                                 (tmp / name).string(), "--providers", "reference,cpu"});
    EXPECT_EQ(p.exit_code, 0) << name << "\n" << p.out << p.err;
    EXPECT_NE(p.out.find("parity passed"), std::string::npos) << name << "\n" << p.out;
    EXPECT_TRUE(fs::exists(tmp / (std::string(name) + ".onnx.parity.json"))) << name;
  }
}

TEST(ForeignModel, ParityOnOneDataSetFolderAndAWrongExpectedOutputFails) {
  const TempDir tmp;
  const fs::path model = copy_fixture(tmp, "bert_post_ln_erf");
  const fs::path set = tmp / "bert_post_ln_erf" / "test_data_set_1";
  const RunResult ok = run_bog({"parity", "--onnx", model.string(), "--inputs", set.string(),
                                "--providers", "cpu", "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(parse_json(ok.out)["batch_sizes"], json::parse("[1]"));

  // Expected outputs of another data set (batch 3 for a batch-1 input): parity fails, exit 6,
  // and the report written says so.
  fs::copy_file(tmp / "bert_post_ln_erf" / "test_data_set_0" / "output_0.pb", set / "output_0.pb",
                fs::copy_options::overwrite_existing);
  const RunResult bad = run_bog({"parity", "--onnx", model.string(), "--inputs", set.string(),
                                 "--providers", "cpu", "--json"});
  EXPECT_EQ(bad.exit_code, 6) << bad.err;
  EXPECT_FALSE(parse_json(bad.out)["passed"].get<bool>());
  const json file = json::parse(read_bytes(tmp / "bert_post_ln_erf.onnx.parity.json"));
  EXPECT_FALSE(file["passed"].get<bool>());

  const RunResult none = run_bog({"parity", "--onnx", model.string(), "--inputs",
                                  (tmp / "nothing").string(), "--providers", "cpu"});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("no input_0.pb"), std::string::npos) << none.err;
}

TEST(ForeignModel, InspectProviderShowsTheOptimizedGraph) {
  const fs::path model = kTorch / "llama_gqa.onnx";
  const RunResult r =
      run_bog({"inspect", "--provider", "cpu", "--seq", "16", model.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r.out);
  ASSERT_TRUE(j.contains("optimized")) << j;
  const json& o = j["optimized"];
  for (const char* key :
       {"provider", "providers_used", "optimize", "nodes_before", "nodes_after", "passes",
        "fusions_fired", "planned_peak_bytes", "planning_run", "op_types"}) {
    EXPECT_TRUE(o.contains(key)) << key;
  }
  EXPECT_EQ(o["provider"], "cpu");
  EXPECT_EQ(o["nodes_before"], j["nodes"]);  // the graph as loaded
  EXPECT_LE(o["nodes_after"].get<int>(), o["nodes_before"].get<int>());
  EXPECT_TRUE(o["planning_run"]["ok"].get<bool>()) << o["planning_run"];
  EXPECT_EQ(o["planning_run"]["seq"], 16);
  int64_t counted = 0;
  for (const auto& [op, n] : o["op_types"].items()) counted += n.get<int64_t>();
  EXPECT_EQ(counted, o["nodes_after"].get<int64_t>());
  for (const json& p : o["passes"]) {
    EXPECT_TRUE(p.contains("pass") && p.contains("rewrites") && p.contains("provider")) << p;
  }

  const RunResult human = run_bog({"inspect", "--provider", "cpu", model.string()});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("memory plan"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("op types after optimization"), std::string::npos) << human.out;
}

TEST(ForeignModel, NoOptimizeKeepsEveryNode) {
  const fs::path model = kTorch / "llama_gqa.onnx";
  const RunResult r = run_bog(
      {"inspect", "--provider", "cpu", "--no-optimize", "--seq", "8", model.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json o = parse_json(r.out)["optimized"];
  EXPECT_EQ(o["optimize"], false);
  EXPECT_EQ(o["nodes_after"], o["nodes_before"]);
  EXPECT_EQ(o["fusions_fired"], 0);

  const RunResult no_provider = run_bog({"inspect", "--no-optimize", model.string()});
  EXPECT_EQ(no_provider.exit_code, 2) << no_provider.err;

  const RunResult run = run_bog({"run", model.string(), "--provider", "cpu", "--no-optimize",
                                 "--dim", "batch=2", "--dim", "sequence=5", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(parse_json(run.out)["optimize"], false);
}

TEST(ForeignModel, NoOptimizeIsRecordedByParityAndBench) {
  const TempDir tmp;
  const fs::path model = copy_fixture(tmp, "gpt2_block");
  const RunResult p =
      run_bog({"parity", "--onnx", model.string(), "--inputs", (tmp / "gpt2_block").string(),
               "--providers", "cpu", "--no-optimize", "--json"});
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  EXPECT_EQ(parse_json(p.out)["optimize"], false);

  std::vector<std::string> args = bench_args(model, tmp / "bench");
  args.push_back("--no-optimize");
  const RunResult b = run_bog(args);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const json row = only_row(parse_json(b.out));
  EXPECT_EQ(row["optimize"], false);
  EXPECT_NE(row["note"].get<std::string>().find("--no-optimize"), std::string::npos) << row;
  EXPECT_TRUE(row["mean_ms"].is_number()) << row;
}

}  // namespace
}  // namespace bog::cli_test
