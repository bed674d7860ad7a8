// Graph parity fails on any output-count or output-name mismatch (never compares only the
// shorter list), and a parity report never vouches for a file whose sha256 has changed.
#include "parity/graph_parity.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "model/data/sha256.h"
#include "parity/model_parity.h"
#include "tests/cli/cli_test_util.h"

namespace bog::parity {
namespace {

namespace fs = std::filesystem;
using cli_test::float_info;
using cli_test::float_tensor;
using cli_test::TempDir;

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
  return run_graph_parity(dir / "model.onnx", dir / "test_data_set_0", {"reference", "cpu"},
                          Tolerance{}, 1);
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
  EXPECT_EQ(two["results"][0]["outputs"].size(), 2u) << "both outputs compared";
}

TEST(GraphParity, FailsWhenTheFolderHoldsMoreExpectedOutputsThanTheGraph) {
  const TempDir tmp;
  const nlohmann::json j = parity_of(write_case(tmp.path(), false, 2));
  EXPECT_FALSE(j["passed"].get<bool>()) << j.dump(1);
  EXPECT_NE(j.value("error", "").find("holds 2 expected outputs"), std::string::npos) << j.dump(1);
}

TEST(GraphParity, FailsWhenAnExpectedOutputIsMissing) {
  // Two declared outputs, one output_K.pb: before, this quietly fell back to comparing the
  // providers with each other and passed.
  const TempDir tmp;
  const nlohmann::json j = parity_of(write_case(tmp.path(), true, 1));
  EXPECT_FALSE(j["passed"].get<bool>()) << j.dump(1);
  EXPECT_NE(j.value("error", "").find("holds 1 expected outputs"), std::string::npos) << j.dump(1);
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
