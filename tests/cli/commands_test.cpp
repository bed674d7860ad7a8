// End-to-end tests of the `bog` subcommands on small models made here: help, JSON output,
// run with data/compare/random, inspect, conformance verdicts and the expected list.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/build_paths.h"
#include "tests/cli/cli_test_util.h"

namespace bog::cli_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json parse_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
  return j;
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const std::string cmd : {"doctor", "run", "inspect", "conformance"}) {
    SCOPED_TRACE(cmd);
    const RunResult r = run_bog({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("--json"), std::string::npos) << r.out;
  }
}

TEST(Cli, UnknownFlagsAndMissingArgumentsExitTwo) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"run"},
                                               {"inspect"},
                                               {"conformance"},
                                               {"doctor", "--bogus"},
                                               {"run", "m.onnx", "--data", "d", "--random"},
                                               {"nosuchcommand"},
                                               {}}) {
    const RunResult r = run_bog(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("error[invalid_argument]: ", 0), 0u) << r.err;
  }
}

TEST(Cli, DoctorJsonParses) {
  const RunResult r = run_bog({"doctor", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r.out);
  EXPECT_TRUE(j.contains("providers"));
  EXPECT_TRUE(j.contains("cpu"));
  EXPECT_TRUE(j.contains("cuda"));
}

TEST(Cli, RunWithDataComparesAndPasses) {
  const TempDir tmp;
  const fs::path dir = make_add_case(tmp.path(), "good");
  const std::vector<fs::path> data_dirs = {dir, dir / "test_data_set_0"};
  for (const fs::path& data : data_dirs) {
    const RunResult r =
        run_bog({"run", (dir / "model.onnx").string(), "--data", data.string(), "--compare"});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("match"), std::string::npos) << r.out;
  }
}

TEST(Cli, RunCompareCatchesAWrongExpectedOutput) {
  const TempDir tmp;
  const fs::path dir = make_add_case(tmp.path(), "bad", 0.5f);
  const RunResult r =
      run_bog({"run", (dir / "model.onnx").string(), "--data", dir.string(), "--compare"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("MISMATCH"), std::string::npos) << r.out;
  // A loose enough tolerance accepts it.
  const RunResult loose = run_bog(
      {"run", (dir / "model.onnx").string(), "--data", dir.string(), "--compare", "--atol", "1"});
  EXPECT_EQ(loose.exit_code, 0) << loose.err;
}

TEST(Cli, RunJsonIncludesPlacementAndOutputs) {
  const TempDir tmp;
  const fs::path dir = make_add_case(tmp.path(), "good");
  const RunResult r = run_bog(
      {"run", (dir / "model.onnx").string(), "--data", dir.string(), "--compare", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r.out);
  EXPECT_EQ(j["placement"]["requested"], json::array({"reference"}));
  ASSERT_EQ(j["data_sets"].size(), 1u);
  const json& out = j["data_sets"][0]["outputs"][0];
  EXPECT_EQ(out["name"], "c");
  EXPECT_EQ(out["value"]["shape"], json::array({2, 3}));
  EXPECT_EQ(out["compare"]["status"], "match");
  EXPECT_TRUE(j["compare"]["passed"].get<bool>());
}

TEST(Cli, RunRandomBindsSymbolicDims) {
  const TempDir tmp;
  write_model(relu_matmul_model(), tmp / "m.onnx");
  for (const int batch : {1, 5}) {
    SCOPED_TRACE(batch);
    const RunResult r = run_bog({"run", (tmp / "m.onnx").string(), "--random", "--dim",
                                 "batch=" + std::to_string(batch), "--json", "--seed", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = parse_json(r.out);
    EXPECT_EQ(j["data_sets"][0]["outputs"][0]["value"]["shape"], json::array({batch, 3}));
    EXPECT_EQ(j["data_sets"][0]["dims"]["batch"], batch);
  }
  const RunResult typo =
      run_bog({"run", (tmp / "m.onnx").string(), "--random", "--dim", "btach=2"});
  EXPECT_EQ(typo.exit_code, 2);
  const RunResult bad = run_bog({"run", (tmp / "m.onnx").string(), "--random", "--dim", "batch=x"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(Cli, RunVerbosePrintsEachNodeWithItsProvider) {
  const TempDir tmp;
  write_model(relu_matmul_model(), tmp / "m.onnx");
  const RunResult r = run_bog({"run", (tmp / "m.onnx").string(), "--verbose"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* node : {"MatMul_0", "Add_0", "Relu_0"}) {
    EXPECT_NE(r.out.find(node), std::string::npos) << r.out;
  }
  EXPECT_NE(r.out.find("reference"), std::string::npos);
}

TEST(Cli, RunRejectsAnUnknownProvider) {
  const TempDir tmp;
  write_model(relu_matmul_model(), tmp / "m.onnx");
  const RunResult r = run_bog({"run", (tmp / "m.onnx").string(), "--provider", "tpu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("tpu"), std::string::npos);
}

TEST(Cli, InspectShowsShapesOpsParametersAndMetadata) {
  const TempDir tmp;
  write_model(relu_matmul_model(), tmp / "m.onnx");
  const RunResult r = run_bog({"inspect", (tmp / "m.onnx").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r.out);
  EXPECT_EQ(j["inputs"][0]["type"]["shape"], json::parse(R"(["batch",4])"));
  EXPECT_EQ(j["outputs"][0]["type"]["dtype"], "float32");
  EXPECT_EQ(j["opsets"]["ai.onnx"], 17);
  EXPECT_EQ(j["op_types"]["MatMul"], 1);
  EXPECT_EQ(j["parameters"], 15);
  EXPECT_EQ(j["parameter_bytes"], 60);
  EXPECT_EQ(j["metadata_props"]["purpose"], "cli test");
  const RunResult human = run_bog({"inspect", (tmp / "m.onnx").string()});
  EXPECT_NE(human.out.find("float32[batch,4]"), std::string::npos) << human.out;
}

TEST(Cli, InspectDotWritesGraphviz) {
  const TempDir tmp;
  write_model(relu_matmul_model(), tmp / "m.onnx");
  const RunResult r = run_bog({"inspect", (tmp / "m.onnx").string(), "--dot"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph", 0), 0u);
  EXPECT_NE(r.out.find("MatMul"), std::string::npos);
  const RunResult f =
      run_bog({"inspect", (tmp / "m.onnx").string(), "--dot", (tmp / "g.dot").string()});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(read_bytes(tmp / "g.dot").rfind("digraph", 0), 0u);
}

TEST(Cli, ConformanceGivesEachCaseAVerdict) {
  const TempDir tmp;
  make_suite(tmp.path());
  const RunResult r = run_bog({"conformance", tmp.path().string(), "--json", "--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(r.out);
  EXPECT_EQ(j["total"], 4);
  EXPECT_EQ(j["passed"], 1);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["unsupported"], 1);
  EXPECT_EQ(j["error"], 1);
  std::map<std::string, json> by_name;
  for (const json& c : j["cases"]) by_name[c["name"]] = c;
  EXPECT_EQ(by_name["test_good"]["status"], "pass");
  EXPECT_EQ(by_name["test_good"]["op_types"], json::array({"Add"}));
  EXPECT_EQ(by_name["test_good"]["opset"], 17);
  EXPECT_EQ(by_name["test_wrong"]["status"], "fail");
  EXPECT_NEAR(by_name["test_wrong"]["max_abs_diff"].get<double>(), 1.0, 1e-6);
  EXPECT_EQ(by_name["test_unknown_op"]["status"], "unsupported");
  EXPECT_NE(by_name["test_unknown_op"]["reason"].get<std::string>().find("NoSuchOpAnywhere"),
            std::string::npos);
  EXPECT_EQ(by_name["test_broken_data"]["status"], "error");

  const RunResult plain = run_bog({"conformance", tmp.path().string()});
  EXPECT_NE(plain.out.find("1 of 4 cases pass (1 unsupported, 1 wrong, 1 errors)\n"),
            std::string::npos)
      << plain.out;
}

TEST(Cli, ConformanceFilterAndReport) {
  const TempDir tmp;
  make_suite(tmp.path());
  const RunResult r = run_bog({"conformance", tmp.path().string(), "--filter", "good|wrong",
                               "--report", (tmp / "report.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse_json(read_bytes(tmp / "report.json"));
  EXPECT_EQ(j["total"], 2);
  const RunResult bad = run_bog({"conformance", tmp.path().string(), "--filter", "(("});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(Cli, ConformanceExpectedListFailsOnlyOnRegression) {
  const TempDir tmp;
  const fs::path suite = tmp / "suite";
  make_suite(suite);
  write_bytes(tmp / "ok.txt", "# expected\ntest_good\n");
  const RunResult ok =
      run_bog({"conformance", suite.string(), "--expected", (tmp / "ok.txt").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;

  write_bytes(tmp / "regress.txt", "test_good\ntest_wrong  # used to pass\n");
  const RunResult bad =
      run_bog({"conformance", suite.string(), "--expected", (tmp / "regress.txt").string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("regression: test_wrong"), std::string::npos) << bad.err;

  write_bytes(tmp / "empty.txt", "");
  const RunResult hint =
      run_bog({"conformance", suite.string(), "--expected", (tmp / "empty.txt").string()});
  EXPECT_EQ(hint.exit_code, 0);
  EXPECT_NE(hint.err.find("test_good"), std::string::npos) << hint.err;
}

TEST(Cli, DemoModelMatchesItsShippedOutputs) {
  const fs::path demo = fs::path(bog::source_dir()) / "models" / "demo";
  const RunResult r = run_bog({"run", (demo / "mlp.onnx").string(), "--data",
                               (demo / "test_data_set_0").string(), "--compare"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
}

}  // namespace
}  // namespace bog::cli_test
