// `bog bench --generate`: decode speed of a decoder graph in the optimum naming, our runtime
// (generate::Generator) against ONNX Runtime's own loop (bench/ort/generate_ort.js), side by
// side. For every (threads, batch) cell each backend generates the same prompts in turn, round
// after round, so the ratio comes from the same minutes of the same machine.
//
// Rows carry the classifier bench's fields (row_fields(), context_fields(); the latency fields
// are over the decode steps, seq_len is prompt + new tokens, samples_per_s the decode tokens/s)
// plus generation_fields(). As for classifiers, a row is a result only when the artifact has a
// passing parity report (FILE.parity.json) for its provider.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_runner.h"

namespace bog::bench {

inline const std::vector<std::string>& generation_fields() {
  static const std::vector<std::string> k = {
      "mode",       "cache_used",    "prompt_len",          "new_tokens",
      "prefill_ms", "decode_ms_p50", "decode_tokens_per_s", "tokens_match_ort"};
  return k;
}

inline constexpr const char* kGenerateSchema = "bog-bench-generate 1";

struct GenerateBenchConfig {
  std::filesystem::path onnx;
  // A second file, ONNX Runtime only, timed in the same rounds (e.g. the fp32 original of a
  // quantized --onnx): rows say `"baseline": true`; the summary's ratio_to_ort_baseline.
  std::filesystem::path baseline_onnx;
  std::vector<std::string> backends = {"cpu", "ort"};  // interpreter providers and/or ort
  std::vector<int> batch = {1};
  std::vector<int> threads = {1};
  int prompt_len = 64;
  int new_tokens = 128;
  bool no_cache_too = false;  // also our uncached rows (every step recomputes the sequence)
  bool ort_spinning = true;   // ORT's intra-op spinning (its default)
  int warmup = 1;             // untimed generations per backend and cell
  int iterations = 1;         // timed generations per backend and cell, interleaved
  bool optimize = true;
  std::filesystem::path out = "runs/bench-generate";
};

// Error(kInvalidArgument) for an unknown backend, empty axes, sizes < 1.
void validate(const GenerateBenchConfig& config);

// Deterministic prompt ids: `batch` rows of `len` ids in [4, vocab) (never pad/BOS/EOS ids
// 0-3), the same for every backend and every run.
[[nodiscard]] std::vector<std::vector<int64_t>> synthetic_prompts(int batch, int len,
                                                                  int64_t vocab);

// Error(kInvalidArgument) when the artifact is missing or not a decoder in the naming.
[[nodiscard]] BenchResult run_generate_bench(const GenerateBenchConfig& config,
                                             const Progress& progress);

// {"schema", "environment", "ort_version", "artifact", "rows", "summary"}; summary: per our
// result row, ratio_to_ort (its decode tokens/s over ORT's in the same cell, cached rows),
// ratio_to_ort_baseline (over ORT's on --baseline-onnx, when given) and cached_over_uncached
// (cached decode tokens/s over uncached, same backend and cell).
[[nodiscard]] nlohmann::json generate_report_json(const BenchResult& result);
[[nodiscard]] std::string generate_report_markdown(const nlohmann::json& report);
[[nodiscard]] std::string generate_terminal_table(const nlohmann::json& report);
// generate.json and generate.md into `dir` (created), atomically.
void write_generate_outputs(const nlohmann::json& report, const std::filesystem::path& dir);

}  // namespace bog::bench
