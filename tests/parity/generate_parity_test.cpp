// Generation parity (parity/generate_parity.h) on a tiny LM bundle trained in the test: every
// step's logits and the greedy tokens of reference, cpu and ONNX Runtime (where installed)
// against the Eigen model; a perturbed graph fails and names its first divergence; the step
// comparer's bookkeeping on hand-made logits; and every bad request.
#include "parity/generate_parity.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "common/build_paths.h"
#include "common/error.h"
#include "model/data/sha256.h"
#include "parity/ort_runner.h"
#include "tests/common/tiny_lm.h"

namespace bog::parity {
namespace {
namespace fs = std::filesystem;

class GenerateParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new cli_test::TempDir();
    std::string error;
    bundle_ = test_data::make_tiny_lm_bundle(tmp_->path(), error);
    ASSERT_FALSE(bundle_.empty()) << error;
    onnx_ = *tmp_ / "lm.onnx";
    const cli_test::RunResult e =
        cli_test::run_bog({"export", "--bundle", bundle_.string(), "--out", onnx_.string()});
    ASSERT_EQ(e.exit_code, 0) << e.err;
  }
  static void TearDownTestSuite() { delete tmp_; }

  static GenerateParityRequest request(std::vector<std::string> providers) {
    GenerateParityRequest r;
    r.bundle = bundle_;
    r.onnx = onnx_;
    r.providers = std::move(providers);
    r.data = *tmp_ / "data";
    r.prompts = 5;
    r.prompt_len = 4;
    r.new_tokens = 7;
    return r;
  }

  static inline cli_test::TempDir* tmp_ = nullptr;
  static inline fs::path bundle_, onnx_;
};

TEST_F(GenerateParity, EveryProviderMatchesTheEigenModelStepByStep) {
  std::vector<std::string> providers = {"reference", "cpu"};
  const bool have_ort = OrtRunner::find().has_value();
  if (have_ort) providers.push_back("ort");
  const GenerateParityReport r = run_generate_parity(request(providers));
  EXPECT_TRUE(r.parity.passed);
  ASSERT_EQ(r.generation.size(), providers.size());
  for (size_t i = 0; i < providers.size(); ++i) {
    SCOPED_TRACE(providers[i]);
    const GenerationParity& g = r.generation[i];
    EXPECT_TRUE(r.parity.results[i].passed) << r.parity.results[i].error;
    EXPECT_TRUE(g.tokens_identical);
    EXPECT_FALSE(g.first_divergence.has_value());
    EXPECT_LE(g.max_abs_diff_prefill, 1e-4);
    EXPECT_LE(g.max_abs_diff_decode, 1e-4);
    EXPECT_EQ(g.prefill_positions, 5 * 4);
    EXPECT_EQ(g.steps_compared, 5 * 6);  // every prompt, every decode step
    EXPECT_EQ(g.prompts, 5);
  }
  EXPECT_EQ(r.cache[1], "shared");  // cpu appends the cache in place
  if (!have_ort) GTEST_SKIP() << "ONNX Runtime skipped: " << OrtRunner::why_unavailable();
}

TEST_F(GenerateParity, TheReportHasWhatTheBenchGateReads) {
  const GenerateParityReport r = run_generate_parity(request({"reference", "cpu"}));
  const fs::path onnx = *tmp_ / "lm.onnx";
  write_generate_parity_report(onnx, r);
  const std::optional<nlohmann::json> j = read_parity_report(onnx);
  ASSERT_TRUE(j.has_value());  // artifact_sha256 is this file's
  EXPECT_EQ((*j)["artifact_sha256"], model::sha256_file_hex(onnx));
  EXPECT_TRUE((*j)["passed"].get<bool>());
  ASSERT_EQ((*j)["results"].size(), 2u);
  for (const auto& row : (*j)["results"]) {
    EXPECT_TRUE(row.contains("provider_requested")) << row;
    EXPECT_EQ(row["provider_used"], row["provider_requested"]) << row;
    EXPECT_TRUE(row["passed"].get<bool>()) << row;
  }
  const nlohmann::json& g = (*j)["generate"];
  EXPECT_EQ(g["prompts"], 5);
  EXPECT_EQ(g["new_tokens"], 7);
  EXPECT_TRUE(g["tokens_identical"].get<bool>());
  for (const char* p : {"reference", "cpu"}) {
    for (const char* f : {"max_abs_diff_prefill", "max_abs_diff_decode", "steps_compared",
                          "prompts", "tokens_identical", "first_divergence"})
      EXPECT_TRUE(g["providers"][p].contains(f)) << p << " " << f;
  }
}

TEST_F(GenerateParity, APerturbedGraphFailsAndNamesTheFirstDivergence) {
  const fs::path bad = *tmp_ / "negated.onnx";
  ASSERT_TRUE(test_data::write_negated_initializer(onnx_, bad, "final_norm"));
  GenerateParityRequest req = request({"reference", "cpu"});
  req.onnx = bad;
  const GenerateParityReport r = run_generate_parity(req);
  EXPECT_FALSE(r.parity.passed);
  for (size_t i = 0; i < 2; ++i) {
    const GenerationParity& g = r.generation[i];
    EXPECT_FALSE(r.parity.results[i].passed);
    EXPECT_FALSE(g.tokens_identical);
    EXPECT_GT(g.max_abs_diff_prefill, 1e-4);
    // Negated logits: argmax becomes argmin at the very first token of the first prompt.
    ASSERT_TRUE(g.first_divergence.has_value());
    EXPECT_EQ(g.first_divergence->prompt, 0);
    EXPECT_EQ(g.first_divergence->step, 0);
    EXPECT_NE(g.first_divergence->got, g.first_divergence->expected);
    EXPECT_EQ(g.steps_compared, 0);  // no prompt stays in step with the eager tokens
  }
}

TEST(StepComparer, ComparesOnlyWhileTheTokensAgree) {
  // Two prompts of 2 tokens, vocab 3, 3 new tokens: eager chooses 2, 0, 1 for both.
  std::vector<EagerGeneration> eager(2);
  for (EagerGeneration& e : eager) {
    e.prefill = model::Mat::Zero(2, 3);
    e.prefill(1, 2) = 1;
    e.decode = model::Mat::Zero(2, 3);
    e.decode(0, 0) = 1;
    e.decode(1, 1) = 1;
    e.tokens = {2, 0, 1};
  }
  StepComparer c(eager, Tolerance{1e-4, 0, 0});
  std::vector<float> prefill(2 * 2 * 3, 0.0f);
  prefill[5] = prefill[11] = 1;
  prefill[0] = 5e-5f;  // within atol
  c.logits(0, prefill, 2, 3);
  c.token(0, 0, 2);
  c.token(1, 0, 2);
  std::vector<float> step1 = {1, 0, 0, 1, 0, 0};
  step1[4] = 0.5f;  // prompt 1 off by 0.5 ...
  c.logits(1, step1, 1, 3);
  c.token(0, 1, 0);
  c.token(1, 1, 1);  // ... and its token differs: not compared after this step
  std::vector<float> step2 = {0, 1, 0, 9, 9, 9};
  c.logits(2, step2, 1, 3);
  c.token(0, 2, 1);
  c.token(1, 2, 1);
  const GenerationParity g = c.finish();
  EXPECT_NEAR(g.max_abs_diff_prefill, 5e-5, 1e-9);
  EXPECT_NEAR(g.max_abs_diff_decode, 0.5, 1e-9);
  EXPECT_EQ(g.prefill_positions, 4);
  EXPECT_EQ(g.steps_compared, 3);  // prompt 0: steps 1 and 2; prompt 1: step 1
  EXPECT_FALSE(g.tokens_identical);
  ASSERT_TRUE(g.first_divergence.has_value());
  EXPECT_EQ(g.first_divergence->prompt, 1);
  EXPECT_EQ(g.first_divergence->step, 1);
  EXPECT_EQ(g.first_divergence->expected, 0);
  EXPECT_EQ(g.first_divergence->got, 1);
  EXPECT_FALSE(g.comparison.within_tolerance);
  EXPECT_THROW(c.logits(1, step1, 2, 3), Error);  // wrong shape
  EXPECT_THROW(c.token(0, 5, 1), Error);          // out of order
}

TEST_F(GenerateParity, BadRequestsAreRefusedWithOneClearError) {
  struct Case {
    const char* what;
    std::function<void(GenerateParityRequest&)> change;
    const char* needle;
  };
  const fs::path classifier = fs::path(bog::source_dir()) / "models" / "agnews-tiny-llama";
  const std::vector<Case> cases = {
      {"classifier", [&](auto& r) { r.bundle = classifier; }, "not a decoder LM"},
      {"prompts", [](auto& r) { r.prompts = 0; }, "--prompts"},
      {"new tokens", [](auto& r) { r.new_tokens = 0; }, "--new-tokens"},
      {"prompt len", [](auto& r) { r.prompt_len = 0; }, "--prompt-len"},
      {"context", [](auto& r) { r.prompt_len = test_data::kTinyLmContext - 3; }, "context"},
      {"provider",
       [](auto& r) {
         r.providers = {"cpu", "tpu"};
       },
       "unknown provider 'tpu'"},
      {"twice",
       [](auto& r) {
         r.providers = {"cpu", "cpu"};
       },
       "twice"},
      {"data", [&](auto& r) { r.data = *tmp_ / "no-data"; }, "test.csv"},
      {"rows", [](auto& r) { r.prompt_len = 15; }, "rows of at least 15 tokens"},
      {"foreign onnx",
       [](auto& r) {
         r.onnx = fs::path(bog::source_dir()) / "tests/fixtures/torch/llama_decoder.onnx";
       },
       "not an export of"},
      {"missing onnx", [&](auto& r) { r.onnx = *tmp_ / "missing.onnx"; }, "not found"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    GenerateParityRequest r = request({"reference"});
    c.change(r);
    try {
      (void)run_generate_parity(r);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace bog::parity
