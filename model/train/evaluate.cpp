#include "model/train/evaluate.h"

#include "model/layers/cross_entropy.h"

namespace bog::model {

std::vector<int> encode_text(std::string_view text, const Tokenizer& tokenizer,
                             const ModelConfig& config) {
  const auto ids32 = tokenizer.encode(text, config.max_len, config.prepend_cls, false);
  std::vector<int> ids(ids32.begin(), ids32.end());
  if (ids.empty() || (config.prepend_cls && ids.size() == 1)) ids.push_back(Tokenizer::kUnkId);
  if (static_cast<int>(ids.size()) > config.max_len) ids.resize(config.max_len);
  return ids;
}

TokenizedSet tokenize_examples(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                               const ModelConfig& config) {
  TokenizedSet set;
  set.ids.resize(examples.size());
  set.labels.resize(examples.size());
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t i = 0; i < examples.size(); ++i) {
    set.ids[i] = encode_text(examples[i].text(), tokenizer, config);
    set.labels[i] = examples[i].label;
  }
  return set;
}

EvalResult evaluate(TransformerClassifier& model, const TokenizedSet& set, int batch_size) {
  const int c = model.config().n_classes;
  EvalResult result;
  result.probs.assign(set.ids.size() * static_cast<size_t>(c), 0.0f);
  for (const auto& indices : eval_batches(set, batch_size)) {
    const Batch batch = make_batch(set, indices, Tokenizer::kPadId);
    const Mat probs = softmax_rows(model.forward(batch.ids, batch.layout, false, nullptr));
    for (size_t b = 0; b < indices.size(); ++b) {
      for (int j = 0; j < c; ++j) {
        result.probs[static_cast<size_t>(indices[b]) * c + j] = probs(static_cast<int>(b), j);
      }
    }
  }
  result.metrics = compute_classification_metrics(result.probs, set.labels, c);
  return result;
}

}  // namespace bog::model
