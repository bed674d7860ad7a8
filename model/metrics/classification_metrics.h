// Classification metrics from predicted class probabilities: accuracy, macro-F1, per-class
// precision/recall, confusion matrix, NLL and expected calibration error.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

namespace bog::model {

inline constexpr int kEceBins = 15;

struct ClassificationMetrics {
  int num_classes = 0;
  int64_t n = 0;
  double accuracy = 0.0;
  double macro_f1 = 0.0;  // mean of per-class F1; a class with P+R = 0 counts as F1 = 0
  std::vector<double> precision, recall, f1;  // per class; 0 when the denominator is 0
  // confusion[true_label][predicted_label]
  std::vector<std::vector<int64_t>> confusion;
  double nll = 0.0;  // mean -log p(true label), p clamped below at 1e-12
  // 15 equal-width confidence bins (lo, hi] (a confidence of 0 goes to the first bin):
  // sum over bins of |bin| / n * |accuracy(bin) - mean confidence(bin)|, where confidence is
  // the top probability and the prediction is the arg-max (lowest index on ties).
  double ece = 0.0;

  [[nodiscard]] nlohmann::json to_json() const;
};

// Streams examples in (an evaluation loop adds batch by batch), then finish().
class MetricsAccumulator {
 public:
  explicit MetricsAccumulator(int num_classes);
  // One example: its num_classes probabilities and its true label in [0, num_classes).
  // Error(kInvalidArgument) on a wrong row size or label.
  void add(std::span<const float> probs, int label);
  // Row-major [labels.size(), num_classes] probabilities.
  void add_batch(std::span<const float> probs, std::span<const int> labels);
  [[nodiscard]] ClassificationMetrics finish() const;

 private:
  int num_classes_;
  int64_t n_ = 0;
  int64_t correct_ = 0;
  double nll_sum_ = 0.0;
  std::vector<std::vector<int64_t>> confusion_;
  std::vector<int64_t> bin_count_, bin_correct_;
  std::vector<double> bin_confidence_;
};

// Convenience: all at once from row-major [labels.size(), num_classes] probabilities.
[[nodiscard]] ClassificationMetrics compute_classification_metrics(std::span<const float> probs,
                                                                   std::span<const int> labels,
                                                                   int num_classes);

}  // namespace bog::model
