// `bog eval --bundle LM --onnx FILE`: the perplexity of an exported decoder equals the Eigen
// model's on the same split (every document one prefill, every position scored), in the cpu
// provider and the reference kernels; a weight-int8 file stays close; ONNX Runtime is refused
// with one line (its runner cannot carry a split's logits).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_test_util.h"
#include "tests/common/tiny_lm.h"

namespace bog::cli_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class EvalLmOnnx : public test_data::TinyLmSuite {
 protected:
  static void SetUpTestSuite() {
    TinyLmSuite::SetUpTestSuite();
    if (bundle_.empty()) return;
    const RunResult e = run_bog({"export", "--bundle", bundle_.string(), "--out", onnx().string()});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    const RunResult q = run_bog({"quantize", "--onnx", onnx().string(), "--method", "weight-int8",
                                 "--out", int8().string()});
    ASSERT_EQ(q.exit_code, 0) << q.err;
  }
  static fs::path onnx() { return *tmp_ / "lm.onnx"; }
  static fs::path int8() { return *tmp_ / "lm.int8.onnx"; }

  static json eval(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {
        "eval",    "--bundle", bundle_.string(), "--data", (*tmp_ / "data").string(),
        "--split", "test",     "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const RunResult r = run_bog(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
};

TEST_F(EvalLmOnnx, ExportedDecoderHasTheEigenModelsPerplexity) {
  const json eager = eval({});
  ASSERT_TRUE(eager["perplexity"].is_number()) << eager;
  for (const std::string provider : {"cpu", "reference"}) {
    SCOPED_TRACE(provider);
    const json o = eval({"--onnx", onnx().string(), "--provider", provider});
    ASSERT_TRUE(o["perplexity"].is_number()) << o;
    EXPECT_EQ(o["tokens"], eager["tokens"]);
    EXPECT_EQ(o["documents"], eager["documents"]);
    EXPECT_NEAR(o["nll"].get<double>(), eager["nll"].get<double>(), 1e-4);
    EXPECT_EQ(o["provider_used"], provider);
    EXPECT_EQ(o["onnx"], "lm.onnx");
  }
}

TEST_F(EvalLmOnnx, WeightInt8DecoderStaysClose) {
  const json fp32 = eval({"--onnx", onnx().string()});
  const json q = eval({"--onnx", int8().string()});
  ASSERT_TRUE(q["perplexity"].is_number()) << q;
  EXPECT_EQ(q["tokens"], fp32["tokens"]);
  EXPECT_NEAR(q["perplexity"].get<double>() / fp32["perplexity"].get<double>(), 1.0, 0.05);
}

TEST_F(EvalLmOnnx, OnnxRuntimeIsOneClearError) {
  const RunResult r = run_bog({"eval", "--bundle", bundle_.string(), "--onnx", onnx().string(),
                               "--data", (*tmp_ / "data").string(), "--provider", "ort"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("interpreter"), std::string::npos) << r.err;
  EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace bog::cli_test
