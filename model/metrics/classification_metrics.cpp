// Metrics accumulate counts in int64 and sums in double, so a 120k-row evaluation is exact
// for accuracy and stable for NLL/ECE.
#include "model/metrics/classification_metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace bog::model {

MetricsAccumulator::MetricsAccumulator(int num_classes)
    : num_classes_(num_classes),
      bin_count_(kEceBins),
      bin_correct_(kEceBins),
      bin_confidence_(kEceBins) {
  if (num_classes < 1) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("num_classes must be >= 1, got {}", num_classes));
  }
  confusion_.assign(static_cast<size_t>(num_classes), std::vector<int64_t>(num_classes, 0));
}

void MetricsAccumulator::add(std::span<const float> probs, int label) {
  if (probs.size() != static_cast<size_t>(num_classes_)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("expected {} class probabilities, got {}", num_classes_, probs.size()));
  }
  if (label < 0 || label >= num_classes_) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("label {} out of range [0, {})", label, num_classes_));
  }
  int predicted = 0;
  for (int k = 1; k < num_classes_; ++k) {
    if (probs[k] > probs[predicted]) predicted = k;
  }
  const double confidence = probs[predicted];
  const bool correct = predicted == label;
  ++n_;
  correct_ += correct ? 1 : 0;
  ++confusion_[label][predicted];
  nll_sum_ -= std::log(std::max(static_cast<double>(probs[label]), 1e-12));
  // Bin b covers (b/15, (b+1)/15]; ceil puts an exact edge into the lower bin.
  const int bin =
      std::clamp(static_cast<int>(std::ceil(confidence * kEceBins)) - 1, 0, kEceBins - 1);
  ++bin_count_[bin];
  bin_correct_[bin] += correct ? 1 : 0;
  bin_confidence_[bin] += confidence;
}

void MetricsAccumulator::add_batch(std::span<const float> probs, std::span<const int> labels) {
  if (probs.size() != labels.size() * static_cast<size_t>(num_classes_)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{} probabilities do not match {} labels x {} classes", probs.size(),
                            labels.size(), num_classes_));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    add(probs.subspan(i * num_classes_, num_classes_), labels[i]);
  }
}

ClassificationMetrics MetricsAccumulator::finish() const {
  ClassificationMetrics m;
  m.num_classes = num_classes_;
  m.n = n_;
  m.confusion = confusion_;
  m.precision.assign(num_classes_, 0.0);
  m.recall.assign(num_classes_, 0.0);
  m.f1.assign(num_classes_, 0.0);
  if (n_ == 0) return m;
  m.accuracy = static_cast<double>(correct_) / static_cast<double>(n_);
  m.nll = nll_sum_ / static_cast<double>(n_);
  for (int k = 0; k < num_classes_; ++k) {
    int64_t predicted_k = 0, actual_k = 0;
    for (int j = 0; j < num_classes_; ++j) {
      predicted_k += confusion_[j][k];
      actual_k += confusion_[k][j];
    }
    const double tp = static_cast<double>(confusion_[k][k]);
    m.precision[k] = predicted_k > 0 ? tp / static_cast<double>(predicted_k) : 0.0;
    m.recall[k] = actual_k > 0 ? tp / static_cast<double>(actual_k) : 0.0;
    const double sum = m.precision[k] + m.recall[k];
    m.f1[k] = sum > 0.0 ? 2.0 * m.precision[k] * m.recall[k] / sum : 0.0;
    m.macro_f1 += m.f1[k] / num_classes_;
  }
  for (int b = 0; b < kEceBins; ++b) {
    if (bin_count_[b] == 0) continue;
    const double count = static_cast<double>(bin_count_[b]);
    m.ece += count / static_cast<double>(n_) *
             std::abs(static_cast<double>(bin_correct_[b]) / count - bin_confidence_[b] / count);
  }
  return m;
}

nlohmann::json ClassificationMetrics::to_json() const {
  return {{"n", n},
          {"num_classes", num_classes},
          {"accuracy", accuracy},
          {"macro_f1", macro_f1},
          {"nll", nll},
          {"ece", ece},
          {"precision", precision},
          {"recall", recall},
          {"f1", f1},
          {"confusion", confusion}};
}

ClassificationMetrics compute_classification_metrics(std::span<const float> probs,
                                                     std::span<const int> labels, int num_classes) {
  MetricsAccumulator acc(num_classes);
  acc.add_batch(probs, labels);
  return acc.finish();
}

}  // namespace bog::model
