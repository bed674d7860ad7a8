// Accuracy of an ONNX artifact (fp32 or quantized) with a bundle's tokenizer and labels, in the
// interpreter or in ONNX Runtime: what `bog eval --onnx` and `bog quantize --report` share.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/metrics/classification_metrics.h"

namespace bog::parity {

struct OnnxEval {
  model::ClassificationMetrics metrics;
  std::vector<float> logits;  // [n, num_classes], in test-set order
  int num_classes = 0;
  std::string provider_used;  // e.g. "cpu", "reference", "ort:cpu"
  nlohmann::json report;      // model::classifier_eval_json plus "onnx", "provider",
                              // "provider_used" and "precision"
};

// Scores `onnx` on the split (test.csv or the bundle's validation split) with `provider`
// ("cpu", "reference" or "ort"), batches of `batch` examples sorted by length.
[[nodiscard]] OnnxEval evaluate_onnx(const std::filesystem::path& bundle_dir,
                                     const std::filesystem::path& onnx,
                                     const std::filesystem::path& data_dir,
                                     const std::string& split, const std::string& provider,
                                     int threads, int batch = 32,
                                     const std::string& precision = "fp32");

}  // namespace bog::parity
