// One text through a classifier bundle's Eigen model: what `bog predict` prints.
#pragma once

#include <string>
#include <vector>

#include "model/bundle.h"

namespace bog::model {

struct TextPrediction {
  int label = 0;             // index into the bundle's labels (the largest probability)
  std::vector<float> probs;  // softmax of the logits, one per label
};

[[nodiscard]] TextPrediction predict_text(const LoadedBundle& bundle, const std::string& text);

}  // namespace bog::model
