// Parity of foreign ONNX models (the PyTorch-exported fixtures in tests/fixtures/torch/)
// against their expected outputs: the report has the bundle path's schema, and ONNX Runtime
// takes part where it is installed (skipped, saying so, where it is not).
#include "parity/graph_parity.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/build_paths.h"
#include "common/error.h"
#include "model/data/sha256.h"
#include "parity/model_parity.h"
#include "parity/ort_runner.h"
#include "tests/cli/cli_test_util.h"

namespace bog::parity {
namespace {
namespace fs = std::filesystem;
using cli_test::float_info;
using cli_test::float_tensor;
using cli_test::TempDir;

const fs::path kTorch = fs::path(bog::source_dir()) / "tests" / "fixtures" / "torch";

GraphParityRequest request(const std::string& name, std::vector<std::string> providers) {
  GraphParityRequest r;
  r.onnx = kTorch / (name + ".onnx");
  r.inputs = kTorch / name;
  r.providers = std::move(providers);
  r.tolerance.atol = 1e-4;
  r.tolerance.rtol = 1e-3;
  r.tolerance.min_argmax_agreement = 1.0;
  return r;
}

TEST(GraphParity, FindsEveryDataSetOrTheOneGiven) {
  const auto sets = test_data_sets(kTorch / "bert_pre_ln_tanh");
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[0].filename(), "test_data_set_0");
  EXPECT_EQ(sets[2].filename(), "test_data_set_2");
  EXPECT_EQ(test_data_sets(sets[1]), std::vector<fs::path>{sets[1]});
  EXPECT_THROW((void)test_data_sets(kTorch / "no_such_folder"), Error);
}

TEST(GraphParity, TorchFixturesMatchTheirExpectedOutputsOnReferenceAndCpu) {
  for (const char* name : {"bert_post_ln_erf", "bert_pre_ln_tanh", "llama_gqa", "gpt2_block"}) {
    for (const bool optimize : {true, false}) {
      GraphParityRequest req = request(name, {"reference", "cpu"});
      req.optimize = optimize;
      const ParityReport r = run_graph_parity(req);
      EXPECT_TRUE(r.passed) << name << " optimize=" << optimize << "\n" << r.to_json().dump(2);
      EXPECT_EQ(r.reference, "expected outputs (output_K.pb)");
      EXPECT_EQ(r.optimize, optimize);
      EXPECT_EQ(r.artifact, std::string(name) + ".onnx");
      EXPECT_EQ(r.artifact_sha256.size(), 64u);
      EXPECT_EQ(r.batch_sizes, (std::vector<int>{3, 1, 5}));
      ASSERT_EQ(r.results.size(), 2u);
      for (const ProviderParity& p : r.results) {
        EXPECT_TRUE(p.error.empty()) << p.error;
        EXPECT_EQ(p.comparison.rows, 9);  // every row of every data set was compared
        EXPECT_EQ(p.comparison.cols, 4);
        EXPECT_EQ(p.comparison.argmax_agreement, 1.0) << name;
      }
    }
  }
}

// The decoder with a KV cache (scripts/gen_torch_decoder.py): a left-padded prefill with a
// zero-length past, then a decode step fed the prefill's present; logits and every present
// tensor compared.
TEST(GraphParity, TorchDecoderPrefillAndDecodeStepMatchOnReferenceAndCpu) {
  for (const bool optimize : {true, false}) {
    GraphParityRequest req = request("llama_decoder", {"reference", "cpu"});
    req.optimize = optimize;
    const ParityReport r = run_graph_parity(req);
    EXPECT_TRUE(r.passed) << "optimize=" << optimize << "\n" << r.to_json().dump(2);
    EXPECT_EQ(r.batch_sizes, (std::vector<int>{2, 2}));
    ASSERT_EQ(r.results.size(), 2u);
    for (const ProviderParity& p : r.results) {
      EXPECT_TRUE(p.error.empty()) << p.error;
      EXPECT_EQ(p.comparison.argmax_agreement, 1.0);
    }
  }
}

TEST(GraphParity, AnUnknownProviderIsAFailedResultNotACrash) {
  const ParityReport r = run_graph_parity(request("llama_gqa", {"reference", "nosuch"}));
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.results.size(), 2u);
  EXPECT_TRUE(r.results[0].passed);
  EXPECT_FALSE(r.results[1].passed);
  EXPECT_FALSE(r.results[1].error.empty());
}

TEST(GraphParity, OnnxRuntimeAgreesOnTheTorchFixtures) {
  if (!OrtRunner::find()) {
    GTEST_SKIP() << "ONNX Runtime reference skipped: " << OrtRunner::why_unavailable();
  }
  for (const char* name : {"bert_post_ln_erf", "bert_pre_ln_tanh", "llama_gqa", "gpt2_block"}) {
    const ParityReport r = run_graph_parity(request(name, {"cpu", "ort"}));
    EXPECT_TRUE(r.passed) << name << "\n" << r.to_json().dump(2);
    EXPECT_FALSE(r.ort_version.empty());
    EXPECT_EQ(r.results[1].provider_used.rfind("ort:", 0), 0u) << r.results[1].provider_used;
  }
}

// ---- output count and name mismatches, stale reports (from the regression-test work)

// a, b float[2,3] -> c = a + b, and (when two_outputs) d = a - b.
fs::path write_case(const fs::path& dir, bool two_outputs, int expected_files) {
  fs::create_directories(dir / "test_data_set_0");
  onnx::ModelProto m = cli_test::add_model();
  if (two_outputs) {
    auto* g = m.mutable_graph();
    *g->add_output() = float_info("d", {2, 3});
    auto* n = g->add_node();
    n->set_op_type("Sub");
    n->set_name("sub0");
    n->add_input("a");
    n->add_input("b");
    n->add_output("d");
  }
  cli_test::write_model(m, dir / "model.onnx");
  const std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {0.5f, 0.5f, 0.5f, 1, 1, 1};
  std::vector<float> sum(6), diff(6);
  for (size_t i = 0; i < 6; ++i) sum[i] = a[i] + b[i], diff[i] = a[i] - b[i];
  const fs::path data = dir / "test_data_set_0";
  cli_test::write_tensor(data / "input_0.pb", float_tensor("a", {2, 3}, a));
  cli_test::write_tensor(data / "input_1.pb", float_tensor("b", {2, 3}, b));
  const std::vector<std::vector<float>> outs = {sum, diff, sum};
  for (int k = 0; k < expected_files; ++k) {
    cli_test::write_tensor(data / ("output_" + std::to_string(k) + ".pb"),
                           float_tensor(k == 0 ? "c" : "d", {2, 3}, outs[static_cast<size_t>(k)]));
  }
  return dir;
}

nlohmann::json parity_of(const fs::path& dir) {
  GraphParityRequest req;
  req.onnx = dir / "model.onnx";
  req.inputs = dir / "test_data_set_0";
  req.providers = {"reference", "cpu"};
  return run_graph_parity(req).to_json();
}

// The first provider error in a report (the count checks fail every provider alike).
std::string first_error(const nlohmann::json& j) {
  for (const auto& r : j["results"]) {
    if (!r.value("error", "").empty()) return r.value("error", "");
  }
  return "";
}

TEST(OutputMismatch, NamesACountOrNameDifferenceAndAcceptsAnExactMatch) {
  EXPECT_EQ(output_mismatch({"c", "d"}, {"c", "d"}), "");
  EXPECT_NE(output_mismatch({"c", "d"}, {"c"}).find("returned 1 outputs, the graph declares 2"),
            std::string::npos);
  EXPECT_NE(output_mismatch({"c"}, {"c", "d"}).find("returned 2 outputs"), std::string::npos);
  EXPECT_NE(output_mismatch({"c", "d"}, {"c", "e"}).find("output 1 is named 'e'"),
            std::string::npos);
  EXPECT_NE(output_mismatch({"c"}, {}).find("returned 0 outputs"), std::string::npos);
}

TEST(GraphParity, PassesWhenEveryDeclaredOutputMatches) {
  const TempDir tmp;
  const nlohmann::json one = parity_of(write_case(tmp / "one", false, 1));
  EXPECT_TRUE(one["passed"].get<bool>()) << one.dump(1);
  const nlohmann::json two = parity_of(write_case(tmp / "two", true, 2));
  EXPECT_TRUE(two["passed"].get<bool>()) << two.dump(1);
  ASSERT_EQ(two["results"].size(), 2u);
}

TEST(GraphParity, FailsWhenTheFolderHoldsMoreExpectedOutputsThanTheGraph) {
  const TempDir tmp;
  const nlohmann::json j = parity_of(write_case(tmp.path(), false, 2));
  EXPECT_FALSE(j["passed"].get<bool>()) << j.dump(1);
  EXPECT_NE(first_error(j).find("holds 2 expected outputs"), std::string::npos) << j.dump(1);
}

TEST(GraphParity, FailsWhenAnExpectedOutputIsMissing) {
  // Two declared outputs, one output_K.pb: before, this quietly fell back to comparing the
  // providers with each other and passed.
  const TempDir tmp;
  const nlohmann::json j = parity_of(write_case(tmp.path(), true, 1));
  EXPECT_FALSE(j["passed"].get<bool>()) << j.dump(1);
  EXPECT_NE(first_error(j).find("holds 1 expected outputs"), std::string::npos) << j.dump(1);
}

TEST(GraphParity, AWrongSecondOutputFailsEvenWhenTheFirstMatches) {
  const TempDir tmp;
  const fs::path dir = write_case(tmp.path(), true, 2);
  cli_test::write_tensor(dir / "test_data_set_0" / "output_1.pb",
                         float_tensor("d", {2, 3}, {9, 9, 9, 9, 9, 9}));
  const nlohmann::json j = parity_of(dir);
  EXPECT_FALSE(j["passed"].get<bool>()) << j.dump(1);
}

TEST(ParityReport, IsIgnoredOnceTheArtifactChanges) {
  const TempDir tmp;
  const fs::path onnx = write_case(tmp.path(), false, 1) / "model.onnx";
  ParityReport report;
  report.passed = true;
  report.artifact = "model.onnx";
  report.artifact_sha256 = model::sha256_file_hex(onnx);
  write_parity_report(onnx, report);
  const auto fresh = read_parity_report(onnx);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_TRUE((*fresh)["passed"].get<bool>());

  // The same file name, other bytes (a re-export with different weights): the report on disk
  // still says "passed" but must no longer be believed.
  onnx::ModelProto m = cli_test::add_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("Sub");
  cli_test::write_model(m, onnx);
  ASSERT_TRUE(fs::exists(parity_report_path(onnx)));
  EXPECT_FALSE(read_parity_report(onnx).has_value());
  // And a report whose recorded sha256 is not the file's never counts, even on first read.
  report.artifact_sha256 = std::string(64, '0');
  write_parity_report(onnx, report);
  EXPECT_FALSE(read_parity_report(onnx).has_value());
}

}  // namespace
}  // namespace bog::parity
