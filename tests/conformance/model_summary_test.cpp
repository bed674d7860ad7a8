// What `bog inspect` reports of a model, from the library (conformance/model_summary.h).
#include "conformance/model_summary.h"

#include <gtest/gtest.h>

#include "onnx_runtime/loader.h"
#include "tests/cli/cli_test_util.h"

namespace bog::conformance {
namespace {

using nlohmann::json;

TEST(ModelSummary, ShapesOpsParametersAndMetadata) {
  const cli_test::TempDir tmp;
  cli_test::write_model(cli_test::relu_matmul_model(), tmp / "m.onnx");
  const runtime::Model m = runtime::load_model(tmp / "m.onnx");
  const json j = model_summary_json(m, "label.onnx");
  EXPECT_EQ(j["model"], "label.onnx");
  ASSERT_EQ(j["inputs"].size(), 1u) << "initializers are not inputs to feed";
  EXPECT_EQ(j["inputs"][0]["type"]["shape"], json::parse(R"(["batch",4])"));
  EXPECT_EQ(j["inputs"][0]["type"]["type"], "float32[batch,4]");
  EXPECT_EQ(j["op_types"], json::parse(R"({"Add":1,"MatMul":1,"Relu":1})"));
  EXPECT_EQ(j["nodes"], 3);
  EXPECT_EQ(j["parameters"], 15);
  EXPECT_EQ(j["parameter_bytes"], 60);
  EXPECT_EQ(j["metadata_props"]["purpose"], "cli test");

  const std::string dot = model_to_dot(m);
  EXPECT_EQ(dot.rfind("digraph", 0), 0u);
  EXPECT_NE(dot.find("label=\"x\\nfloat32[batch,4]\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("MatMul"), std::string::npos);
  EXPECT_EQ(dot.back(), '\n');
}

}  // namespace
}  // namespace bog::conformance
