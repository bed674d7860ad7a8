// `bog bench --generate` on the torch decoder fixture: the contract of its rows (fields, modes,
// the parity gate), our greedy tokens against ONNX Runtime's loop where it is installed, and
// bad input. Short runs; no timing is asserted, only that result rows carry numbers.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "common/build_paths.h"
#include "tests/cli/cli_test_util.h"

namespace bog::cli_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kTorch = fs::path(bog::source_dir()) / "tests" / "fixtures" / "torch";

fs::path copy_decoder(const TempDir& tmp) {
  fs::copy_file(kTorch / "llama_decoder.onnx", tmp / "llama_decoder.onnx");
  fs::copy(kTorch / "llama_decoder", tmp / "llama_decoder", fs::copy_options::recursive);
  return tmp / "llama_decoder.onnx";
}

std::vector<std::string> gen_args(const fs::path& model, const fs::path& out,
                                  const std::string& backends) {
  return {"bench",        "--generate", "--onnx",         model.string(),
          "--backends",   backends,     "--batch",        "1,2",
          "--threads",    "1",          "--prompt-len",   "6",
          "--new-tokens", "5",          "--warmup",       "0",
          "--out",        out.string(), "--no-cache-too", "--json"};
}

json parse(const RunResult& r) {
  json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

bool ort_available() {
  const RunResult d = run_bog({"doctor", "--json"});
  const json j = json::parse(d.out, nullptr, false);
  return !j.is_discarded() && j.contains("onnxruntime_reference") &&
         j["onnxruntime_reference"].value("found", false);
}

TEST(BenchGenerate, RowsAreGatedByParityAndCarryTheGenerationFields) {
  const TempDir tmp;
  const fs::path model = copy_decoder(tmp);
  const RunResult before = run_bog(gen_args(model, tmp / "b0", "cpu"));
  ASSERT_EQ(before.exit_code, 0) << before.err;
  const json r0 = parse(before);
  EXPECT_EQ(r0["schema"], "bog-bench-generate 1");
  ASSERT_EQ(r0["rows"].size(), 4u);  // batch 1, 2 x cached, uncached
  for (const json& row : r0["rows"]) {
    EXPECT_EQ(row["parity_status"], "missing") << row;
    EXPECT_TRUE(row["decode_tokens_per_s"].is_null()) << row;
    EXPECT_NE(row["note"].get<std::string>().find("parity missing"), std::string::npos) << row;
  }

  const RunResult p = run_bog({"parity", "--onnx", model.string(), "--inputs",
                               (tmp / "llama_decoder").string(), "--providers", "reference,cpu"});
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;

  const RunResult after = run_bog(gen_args(model, tmp / "b1", "cpu"));
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const json r1 = parse(after);
  ASSERT_EQ(r1["rows"].size(), 4u);
  int cached = 0, uncached = 0;
  for (const json& row : r1["rows"]) {
    for (const char* f : {"backend", "provider_requested", "provider_used", "batch", "seq_len",
                          "threads", "mean_ms", "p50_ms", "parity_status", "model_sha256", "note",
                          "mode", "cache_used", "prompt_len", "new_tokens", "prefill_ms",
                          "decode_ms_p50", "decode_tokens_per_s", "tokens_match_ort"}) {
      EXPECT_TRUE(row.contains(f)) << f << " in " << row;
    }
    EXPECT_EQ(row["parity_status"], "passed") << row;
    EXPECT_EQ(row["provider_used"], "cpu") << row;
    EXPECT_EQ(row["prompt_len"], 6);
    EXPECT_EQ(row["new_tokens"], 5);
    EXPECT_EQ(row["seq_len"], 11);
    EXPECT_TRUE(row["prefill_ms"].is_number()) << row;
    EXPECT_TRUE(row["decode_ms_p50"].is_number()) << row;
    EXPECT_GT(row["decode_tokens_per_s"].get<double>(), 0.0) << row;
    EXPECT_TRUE(row["tokens_match_ort"].is_null()) << row;  // no ORT rows asked for
    if (row["mode"] == "cached") ++cached;
    if (row["mode"] == "uncached") {
      ++uncached;
      EXPECT_EQ(row["cache_used"], "none") << row;
    }
  }
  EXPECT_EQ(cached, 2);
  EXPECT_EQ(uncached, 2);
  EXPECT_TRUE(fs::exists(tmp / "b1" / "generate.json"));
  EXPECT_TRUE(fs::exists(tmp / "b1" / "generate.md"));
  // The summary relates each cached row to its uncached twin.
  bool has_ratio = false;
  for (const json& s : r1["summary"]) has_ratio |= s["cached_over_uncached"].is_number();
  EXPECT_TRUE(has_ratio) << r1["summary"];
}

TEST(BenchGenerate, OurGreedyTokensEqualOnnxRuntimeLoop) {
  if (!ort_available()) GTEST_SKIP() << "ONNX Runtime (bench/ort) not installed";
  const TempDir tmp;
  const fs::path model = copy_decoder(tmp);
  const RunResult p = run_bog({"parity", "--onnx", model.string(), "--inputs",
                               (tmp / "llama_decoder").string(), "--providers", "cpu,ort"});
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  const RunResult r = run_bog(gen_args(model, tmp / "b", "cpu,ort"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse(r);
  ASSERT_EQ(j["rows"].size(), 6u);  // per batch: cpu cached, cpu uncached, ort cached
  int ort_rows = 0;
  for (const json& row : j["rows"]) {
    if (row["backend"] == "onnxruntime") {
      ++ort_rows;
      EXPECT_EQ(row["mode"], "cached");
      EXPECT_TRUE(row["decode_tokens_per_s"].is_number()) << row;
      EXPECT_NE(row["note"].get<std::string>().find("spinning on"), std::string::npos) << row;
      // The runner's own VmHWM, not getrusage's children figure (which counts bog's pages).
      EXPECT_TRUE(row["peak_rss_mb"].is_number()) << row;
      EXPECT_NE(row["note"].get<std::string>().find("process's own"), std::string::npos) << row;
    } else {
      EXPECT_EQ(row["tokens_match_ort"], true) << row;
    }
  }
  EXPECT_EQ(ort_rows, 2);
  bool has_ratio = false;
  for (const json& s : j["summary"]) has_ratio |= s["ratio_to_ort"].is_number();
  EXPECT_TRUE(has_ratio) << j["summary"];
}

// A weight-int4 decoder (issue 27): its K/V still append in place (the contrib ops have static
// types), and --baseline-onnx times ONNX Runtime on the fp32 original in the same rounds.
TEST(BenchGenerate, QuantizedDecoderAgainstOnnxRuntimeOnTheFp32Baseline) {
  if (!ort_available()) GTEST_SKIP() << "ONNX Runtime (bench/ort) not installed";
  const TempDir tmp;
  const fs::path model = copy_decoder(tmp);
  const fs::path q = tmp / "llama_decoder.int4.onnx";
  const RunResult quant = run_bog(
      {"quantize", "--onnx", model.string(), "--method", "weight-int4", "--out", q.string()});
  ASSERT_EQ(quant.exit_code, 0) << quant.err;
  fs::copy_file(tmp / "llama_decoder" / "genai_config.json", tmp / "genai_config.json");
  // The quantized graph is held to our reference kernels on the same inputs (torch's outputs
  // are the fp32 model's): a folder of the inputs alone.
  for (const auto& set : fs::directory_iterator(tmp / "llama_decoder")) {
    if (!set.is_directory()) continue;
    const fs::path to = tmp / "q_inputs" / set.path().filename();
    fs::create_directories(to);
    for (const auto& f : fs::directory_iterator(set.path())) {
      if (f.path().filename().string().rfind("input_", 0) == 0)
        fs::copy_file(f.path(), to / f.path().filename());
    }
  }
  const RunResult pq = run_bog({"parity", "--onnx", q.string(), "--inputs",
                                (tmp / "q_inputs").string(), "--providers", "reference,cpu,ort"});
  ASSERT_EQ(pq.exit_code, 0) << pq.out << pq.err;
  const RunResult pf = run_bog({"parity", "--onnx", model.string(), "--inputs",
                                (tmp / "llama_decoder").string(), "--providers", "cpu,ort"});
  ASSERT_EQ(pf.exit_code, 0) << pf.out << pf.err;
  std::vector<std::string> args = gen_args(q, tmp / "b", "cpu,ort");
  args.insert(args.end() - 1, {"--baseline-onnx", model.string()});
  const RunResult r = run_bog(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = parse(r);
  EXPECT_EQ(j["artifact"]["baseline"]["file"], "llama_decoder.onnx");
  int baseline_rows = 0;
  for (const json& row : j["rows"]) {
    if (row["baseline"].get<bool>()) {
      ++baseline_rows;
      EXPECT_EQ(row["backend"], "onnxruntime");
      EXPECT_EQ(row["artifact"], "llama_decoder.onnx");
      EXPECT_TRUE(row["decode_tokens_per_s"].is_number()) << row;
    } else {
      EXPECT_EQ(row["artifact"], "llama_decoder.int4.onnx");
      if (row["backend"] == "interpreter" && row["mode"] == "cached") {
        EXPECT_EQ(row["cache_used"], "shared") << row["note"];
      }
    }
  }
  EXPECT_EQ(baseline_rows, 2);  // one per batch size
  int ratios = 0;
  for (const json& s : j["summary"]) ratios += s["ratio_to_ort_baseline"].is_number();
  EXPECT_EQ(ratios, 2) << j["summary"];
}

TEST(BenchGenerate, BadInputIsOneErrorLine) {
  const TempDir tmp;
  const fs::path model = copy_decoder(tmp);
  struct Case {
    std::vector<std::string> args;
    const char* words;
  };
  const std::vector<Case> cases = {
      {{"bench", "--generate", "--backends", "cpu"}, "--onnx"},
      {{"bench", "--generate", "--onnx", model.string(), "--new-tokens", "0"}, "--new-tokens"},
      {{"bench", "--generate", "--onnx", model.string(), "--prompt-len", "0"}, "--prompt-len"},
      {{"bench", "--generate", "--onnx", model.string(), "--backends", "eager"}, "eager"},
      {{"bench", "--generate", "--onnx", (tmp / "missing.onnx").string()}, "not found"},
      {{"bench", "--generate", "--onnx", model.string(), "--baseline-onnx",
        (tmp / "missing.onnx").string(), "--out", (tmp / "z").string()},
       "baseline missing.onnx not found"},
      {{"bench", "--onnx", model.string(), "--baseline-onnx", model.string()}, "needs --generate"},
      // 200 + 100 - 1 positions past the fixture's context of 256 (its genai_config.json).
      {{"bench", "--generate", "--onnx", model.string(), "--backends", "cpu", "--prompt-len", "200",
        "--new-tokens", "100", "--out", (tmp / "y").string()},
       "context is 256"},
      {{"bench", "--generate", "--onnx", (kTorch / "llama_gqa.onnx").string(), "--out",
        (tmp / "x").string()},
       "invalid_model"},
  };
  for (const Case& c : cases) {
    const RunResult r = run_bog(c.args);
    EXPECT_NE(r.exit_code, 0) << c.words;
    EXPECT_NE(r.err.find(c.words), std::string::npos) << c.words << ": " << r.err;
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace bog::cli_test
