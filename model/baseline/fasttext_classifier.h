// The classical baseline every reported accuracy stands next to: a fastText-style linear
// classifier (averaged embeddings of hashed word uni- and bigrams, softmax output, plain SGD
// with a linearly decaying learning rate). Single-threaded and seeded: the same data and
// config give the same model bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/data/ag_news.h"

namespace bog::model {

struct BaselineConfig {
  int buckets_log2 = 21;  // hash buckets for words and bigrams
  int dim = 10;           // fastText's default; 10-32 all land within 0.3 points on AG News
  int epochs = 5;
  float learning_rate = 0.25f;  // decays linearly to 0 over the run
  bool bigrams = true;
  uint64_t seed = 1;
};

// Lower-cased ASCII words: runs of letters and digits, split everywhere else; bytes >= 0x80
// are kept inside words so non-ASCII text still forms tokens.
[[nodiscard]] std::vector<std::string> baseline_words(std::string_view text);

class FastTextClassifier {
 public:
  // Error(kInvalidArgument) for an empty training set or a bad config.
  static FastTextClassifier train(const std::vector<Example>& examples, int num_classes,
                                  const BaselineConfig& config);

  // Class probabilities for one text (uniform over classes when it has no words).
  [[nodiscard]] std::vector<float> predict_proba(std::string_view text) const;
  [[nodiscard]] int num_classes() const { return num_classes_; }

 private:
  [[nodiscard]] std::vector<uint32_t> features(std::string_view text) const;
  // probs = softmax(W * mean(E[features]) + b); hidden receives the mean embedding.
  void forward(const std::vector<uint32_t>& feats, std::vector<float>& hidden,
               std::vector<float>& probs) const;

  BaselineConfig config_;
  int num_classes_ = 0;
  std::vector<float> embeddings_;  // [buckets, dim]
  std::vector<float> output_;      // [num_classes, dim]
  std::vector<float> bias_;        // [num_classes]
};

}  // namespace bog::model
