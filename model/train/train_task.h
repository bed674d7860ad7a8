// What the training loop needs from a model family, so one loop trains both the classifiers
// (cross-entropy on the label, validation accuracy) and the decoder LM (next-token
// cross-entropy, validation perplexity).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "model/data/ag_news.h"
#include "model/tokenizer/tokenizer.h"
#include "model/train/batching.h"

namespace bog::model {

struct ModelConfig;

struct Validation {
  nlohmann::json metrics;  // what metrics.jsonl and the checkpoint record
  double score = 0;        // higher is better: accuracy, or minus the perplexity
  std::string summary;     // one line for the console
};

class TrainTask {
 public:
  virtual ~TrainTask() = default;
  [[nodiscard]] virtual const ParamList& params() const = 0;
  [[nodiscard]] virtual int64_t num_params() const = 0;
  [[nodiscard]] virtual TokenizedSet tokenize(const std::vector<Example>& examples,
                                              const Tokenizer& tokenizer) const = 0;
  // Zeroes the gradients, runs forward and backward on one batch; returns the mean loss.
  virtual double train_step(const Batch& batch, float label_smoothing, std::mt19937_64& rng) = 0;
  [[nodiscard]] virtual Validation validate(const TokenizedSet& set) = 0;
  // The checkpoint info key of the best validation figure and its value for a score.
  [[nodiscard]] virtual std::string best_key() const = 0;
  [[nodiscard]] virtual double best_value(double score) const = 0;
  [[nodiscard]] virtual double score_of(double best_value) const = 0;
};

// The task for config.architecture, its weights initialised from `seed`.
[[nodiscard]] std::unique_ptr<TrainTask> make_train_task(const ModelConfig& config, uint64_t seed);

}  // namespace bog::model
