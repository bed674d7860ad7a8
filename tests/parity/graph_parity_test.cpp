// Parity of foreign ONNX models (the PyTorch-exported fixtures in tests/fixtures/torch/)
// against their expected outputs: the report has the bundle path's schema, and ONNX Runtime
// takes part where it is installed (skipped, saying so, where it is not).
#include "parity/graph_parity.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/error.h"
#include "parity/ort_runner.h"

namespace bog::parity {
namespace {
namespace fs = std::filesystem;

const fs::path kTorch = fs::path(BOG_SOURCE_DIR) / "tests" / "fixtures" / "torch";

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

}  // namespace
}  // namespace bog::parity
