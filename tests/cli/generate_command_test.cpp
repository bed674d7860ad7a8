// `bog generate` end to end on the PyTorch decoder fixture: the --json contract, PyTorch's
// greedy tokens, --no-cache equal to the cache, and one error line with a non-zero exit for
// each bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/build_paths.h"
#include "tests/cli/cli_test_util.h"
#include "tests/common/tiny_lm.h"

namespace bog::cli_test {
namespace {

const std::string kDecoder =
    std::string(bog::source_dir()) + "/tests/fixtures/torch/llama_decoder.onnx";

nlohmann::json first_torch_case() {
  std::ifstream in(std::string(bog::source_dir()) +
                   "/tests/fixtures/torch/llama_decoder/greedy.json");
  return nlohmann::json::parse(in).at("prompts").at(0);
}

std::string ids_arg(const std::vector<int64_t>& ids) {
  std::string s;
  for (const int64_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

TEST(GenerateCommand, JsonCarriesTheContractFieldsAndTorchsTokens) {
  const auto c = first_torch_case();
  const auto prompt = c.at("prompt_ids").get<std::vector<int64_t>>();
  const auto want = c.at("tokens").get<std::vector<int64_t>>();
  for (const bool no_cache : {false, true}) {
    std::vector<std::string> args = {"generate",
                                     "--onnx",
                                     kDecoder,
                                     "--prompt-ids",
                                     ids_arg(prompt),
                                     "--max-new-tokens",
                                     std::to_string(want.size()),
                                     "--json"};
    if (no_cache) args.push_back("--no-cache");
    const auto r = run_bog(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    for (const char* field :
         {"prompt_tokens", "tokens", "text", "finish_reason", "prefill_ms",
          "decode_ms_per_token_p50", "decode_tokens_per_s", "provider_used", "cache"}) {
      EXPECT_TRUE(j.contains(field)) << field;
    }
    EXPECT_EQ(j["tokens"].get<std::vector<int64_t>>(), want);
    EXPECT_EQ(j["prompt_tokens"], prompt.size());
    EXPECT_EQ(j["finish_reason"], "length");
    EXPECT_EQ(j["provider_used"], "cpu");
    EXPECT_EQ(j["cache"], no_cache ? "none" : "shared");
  }
}

// --bundle exports the LM on the fly and tokenizes the prompt: the same tokens as its own
// export run with --onnx and --tokenizer; a classifier bundle is refused in one line.
TEST(GenerateCommand, ABundleGeneratesAsItsExportDoes) {
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("bog-generate-bundle-" + std::to_string(getpid()));
  std::string error;
  const auto bundle = test_data::make_tiny_lm_bundle(root, error);
  ASSERT_FALSE(bundle.empty()) << error;
  const auto from_bundle = run_bog({"generate", "--bundle", bundle.string(), "--prompt",
                                    "alpha beta", "--max-new-tokens", "6", "--json"});
  ASSERT_EQ(from_bundle.exit_code, 0) << from_bundle.err;
  const auto e =
      run_bog({"export", "--bundle", bundle.string(), "--out", (root / "lm.onnx").string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto from_onnx = run_bog({"generate", "--onnx", (root / "lm.onnx").string(), "--tokenizer",
                                  (bundle / "tokenizer.model").string(), "--prompt", "alpha beta",
                                  "--max-new-tokens", "6", "--json"});
  ASSERT_EQ(from_onnx.exit_code, 0) << from_onnx.err;
  const auto a = nlohmann::json::parse(from_bundle.out);
  const auto b = nlohmann::json::parse(from_onnx.out);
  EXPECT_FALSE(a["tokens"].empty());
  EXPECT_EQ(a["tokens"], b["tokens"]);
  EXPECT_EQ(a["text"], b["text"]);
  EXPECT_GT(a["prompt_tokens"].get<int>(), 1);

  const auto cls =
      run_bog({"generate", "--bundle", std::string(bog::source_dir()) + "/models/agnews-tiny-llama",
               "--prompt", "x", "--json"});
  EXPECT_NE(cls.exit_code, 0);
  EXPECT_NE(cls.err.find("(a decoder LM)"), std::string::npos) << cls.err;
  std::filesystem::remove_all(root);
}

TEST(GenerateCommand, BadInputIsOneErrorLineAndANonZeroExit) {
  TempDir dir;
  const std::vector<std::vector<std::string>> bad = {
      {"generate", "--onnx", kDecoder, "--prompt-ids", "1,2,3", "--max-new-tokens", "0"},
      {"generate", "--onnx", kDecoder, "--prompt-ids", "1,2,3", "--top-p", "1.5"},
      {"generate", "--onnx", kDecoder, "--prompt-ids", "1,2,99999"},
      {"generate", "--onnx", kDecoder, "--prompt-ids", "1,x,3"},
      {"generate", "--onnx", kDecoder, "--prompt", "text without a tokenizer"},
      {"generate", "--onnx",
       std::string(bog::source_dir()) + "/tests/fixtures/torch/llama_gqa.onnx", "--prompt-ids",
       "1,2"},
      {"generate", "--onnx", (dir / "missing.onnx").string(), "--prompt-ids", "1"},
  };
  for (const auto& args : bad) {
    const auto r = run_bog(args);
    EXPECT_NE(r.exit_code, 0) << args.back();
    EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // A prompt longer than the context (genai_config.json: 256).
  std::string long_prompt = "1";
  for (int i = 0; i < 300; ++i) long_prompt += ",5";
  const auto r = run_bog({"generate", "--onnx", kDecoder, "--prompt-ids", long_prompt});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("context"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace bog::cli_test
