// Softmax cross-entropy with optional label smoothing, averaged over the batch.
#pragma once

#include <span>

#include "model/layers/tensor.h"

namespace bog::model {

struct LossResult {
  double loss = 0;
  Mat dlogits;  // gradient of the mean loss with respect to the logits
};

// Target distribution: (1 - smoothing) on the label plus smoothing / n_classes everywhere.
[[nodiscard]] LossResult softmax_cross_entropy(const Mat& logits, std::span<const int> labels,
                                               float smoothing);

// Row-wise softmax, computed stably.
[[nodiscard]] Mat softmax_rows(const Mat& logits);

}  // namespace bog::model
