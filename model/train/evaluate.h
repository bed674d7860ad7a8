// Turning examples into model inputs, and scoring a model on a tokenised set.
#pragma once

#include <vector>

#include "model/data/ag_news.h"
#include "model/metrics/classification_metrics.h"
#include "model/tokenizer/tokenizer.h"
#include "model/train/batching.h"
#include "model/transformer_classifier.h"

namespace bog::model {

// Encodes each example's text to at most config.max_len ids (with the CLS id first when the
// config prepends one). An empty encoding becomes [unk] so every sequence has a token.
[[nodiscard]] TokenizedSet tokenize_examples(const std::vector<Example>& examples,
                                             const Tokenizer& tokenizer, const ModelConfig& config);
[[nodiscard]] std::vector<int> encode_text(std::string_view text, const Tokenizer& tokenizer,
                                           const ModelConfig& config);

struct EvalResult {
  std::vector<float> probs;  // [n, n_classes] in the set's order
  ClassificationMetrics metrics;
};

[[nodiscard]] EvalResult evaluate(TransformerClassifier& model, const TokenizedSet& set,
                                  int batch_size = 128);

}  // namespace bog::model
