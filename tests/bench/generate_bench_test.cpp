// The generation benchmark's pure parts: its prompts, its config checks, and the summary that
// relates our rows to ONNX Runtime's and cached rows to uncached ones.
#include "bench/generate_bench.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace bog::bench {
namespace {

using nlohmann::json;

TEST(GenerateBench, PromptsAreDeterministicAndInsideTheVocabulary) {
  const auto a = synthetic_prompts(3, 64, 512);
  EXPECT_EQ(a, synthetic_prompts(3, 64, 512));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_NE(a[0], a[1]);  // rows differ
  for (const auto& row : a) {
    ASSERT_EQ(row.size(), 64u);
    for (const int64_t id : row) {
      EXPECT_GE(id, 4);
      EXPECT_LT(id, 512);
    }
  }
  const auto tiny = synthetic_prompts(1, 100, 6);  // a vocabulary of 6: ids 4 and 5 only
  for (const int64_t id : tiny[0]) EXPECT_TRUE(id == 4 || id == 5);
}

TEST(GenerateBench, ConfigErrorsNameTheFlag) {
  GenerateBenchConfig c;
  c.onnx = "x.onnx";
  EXPECT_NO_THROW(validate(c));
  auto fails = [](GenerateBenchConfig bad, const std::string& word) {
    try {
      validate(bad);
      ADD_FAILURE() << "accepted: " << word;
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
  };
  GenerateBenchConfig b = c;
  b.new_tokens = 0;
  fails(b, "--new-tokens");
  b = c;
  b.prompt_len = 0;
  fails(b, "--prompt-len");
  b = c;
  b.backends = {"cpu", "nosuch"};
  fails(b, "nosuch");
  b = c;
  b.batch = {0};
  fails(b, "--batch");
  b = c;
  b.onnx.clear();
  fails(b, "--onnx");
}

json row(const std::string& backend, const std::string& mode, double tps, int new_tokens = 128) {
  return {{"backend", backend == "ort" ? "onnxruntime" : "interpreter"},
          {"provider_requested", backend == "ort" ? "cpu" : backend},
          {"provider_used", "cpu"},
          {"parity_status", "passed"},
          {"mode", mode},
          {"cache_used", mode == "cached" ? "shared" : "none"},
          {"batch", 1},
          {"threads", 1},
          {"prompt_len", 64},
          {"new_tokens", new_tokens},
          {"prefill_ms", 1.0},
          {"decode_ms_p50", 1000.0 / tps},
          {"decode_tokens_per_s", tps},
          {"tokens_match_ort", backend == "ort" ? json(nullptr) : json(true)},
          {"note", ""}};
}

TEST(GenerateBench, SummaryRelatesCachedRowsToOrtAndToUncached) {
  BenchResult r;
  r.rows =
      json::array({row("cpu", "cached", 300), row("cpu", "uncached", 10), row("ort", "cached", 100),
                   row("cpu", "cached", 50, 16)});  // another cell: no ORT, no uncached twin
  r.rows[3]["parity_status"] = "failed";            // and not a result
  r.artifact = {{"file", "d.onnx"}, {"sha256", "ab"}, {"parity_report", "present"}};
  const json j = generate_report_json(r);
  EXPECT_EQ(j["schema"], kGenerateSchema);
  ASSERT_EQ(j["summary"].size(), 2u) << j["summary"];  // our two result rows
  const json& cached = j["summary"][0];
  EXPECT_EQ(cached["mode"], "cached");
  EXPECT_DOUBLE_EQ(cached["ratio_to_ort"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(cached["cached_over_uncached"].get<double>(), 30.0);
  EXPECT_TRUE(j["summary"][1]["ratio_to_ort"].is_null());  // uncached rows are not compared
  const std::string md = generate_report_markdown(j);
  EXPECT_NE(md.find("| 3.00 | 30.0 |"), std::string::npos) << md;
  EXPECT_NE(generate_terminal_table(j).find("3.00x ONNX Runtime"), std::string::npos);
}

}  // namespace
}  // namespace bog::bench
