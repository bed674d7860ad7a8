// Evaluating an ONNX artifact (fp32 or quantized) with a bundle's tokenizer and labels, in the
// interpreter or in ONNX Runtime, and timing it side by side: what `bog eval --onnx` and
// `bog quantize --report` share.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/metrics/classification_metrics.h"

namespace bog::cli {

struct OnnxEval {
  model::ClassificationMetrics metrics;
  std::vector<float> logits;  // [n, num_classes], in test-set order
  int num_classes = 0;
  std::string provider_used;  // e.g. "cpu", "reference", "ort:cpu"
  nlohmann::json report;      // the `bog eval` JSON fields, plus "onnx" and "provider"
};

// Scores `onnx` on the split (test.csv or the bundle's validation split) with `provider`
// ("cpu", "reference" or "ort"), batches of `batch` examples sorted by length.
[[nodiscard]] OnnxEval evaluate_onnx(const std::filesystem::path& bundle_dir,
                                     const std::filesystem::path& onnx,
                                     const std::filesystem::path& data_dir,
                                     const std::string& split, const std::string& provider,
                                     int threads, int batch = 32,
                                     const std::string& precision = "fp32");

struct SpeedFigures {
  double p50_ms_b1 = 0;          // batch 1, seq 128
  double samples_per_s_b32 = 0;  // batch 32, seq 128
};
// Run times in ms at batch 1 and batch 32 (seq 128), added to by each timing round.
struct SpeedSamples {
  std::vector<double> b1_ms;
  std::vector<double> b32_ms;
  [[nodiscard]] SpeedFigures figures() const;  // p50s
};
// Times `onnx` on `provider` ("cpu" or "ort") with full-length synthetic ids (seq 128), adding
// `iterations_b1` and `iterations_b32` timed runs (after a warm-up) to `out`.
void time_onnx(const std::filesystem::path& onnx, const std::string& provider, int threads,
               int64_t vocab, int iterations_b1, int iterations_b32, SpeedSamples& out);
// The same on `cpu` for two files in turn, a few runs at a time (each block after an untimed
// run), on the same inputs: a slow spell of a shared machine falls on both alike, so their ratio
// is the one to read.
void time_cpu_pair(const std::filesystem::path& a, const std::filesystem::path& b, int threads,
                   int64_t vocab, int iterations_b1, int iterations_b32, SpeedSamples& out_a,
                   SpeedSamples& out_b);

}  // namespace bog::cli
