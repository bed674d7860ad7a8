#include "model/train/train_task.h"

#include <fmt/format.h>

#include <cmath>

#include "model/layers/cross_entropy.h"
#include "model/lm/lm_objective.h"
#include "model/train/evaluate.h"

namespace bog::model {
namespace {

class ClassifierTask : public TrainTask {
 public:
  ClassifierTask(const ModelConfig& config, uint64_t seed) : model_(config, seed) {}
  const ParamList& params() const override { return model_.params(); }
  int64_t num_params() const override { return model_.num_params(); }
  TokenizedSet tokenize(const std::vector<Example>& examples,
                        const Tokenizer& tokenizer) const override {
    return tokenize_examples(examples, tokenizer, model_.config());
  }
  double train_step(const Batch& batch, float smoothing, std::mt19937_64& rng) override {
    model_.zero_grad();
    const Mat logits = model_.forward(batch.ids, batch.layout, true, &rng);
    const LossResult loss = softmax_cross_entropy(logits, batch.labels, smoothing);
    model_.backward(loss.dlogits);
    return loss.loss;
  }
  Validation validate(const TokenizedSet& set) override {
    const ClassificationMetrics m = evaluate(model_, set).metrics;
    return {m.to_json(), m.accuracy,
            fmt::format("valid accuracy {:.4f}  macro-F1 {:.4f}  nll {:.4f}  ece {:.4f}",
                        m.accuracy, m.macro_f1, m.nll, m.ece)};
  }
  std::string best_key() const override { return "best_valid_accuracy"; }
  double best_value(double score) const override { return score; }
  double score_of(double best) const override { return best; }

 private:
  TransformerClassifier model_;
};

class LmTask : public TrainTask {
 public:
  LmTask(const ModelConfig& config, uint64_t seed) : model_(config, seed) {}
  const ParamList& params() const override { return model_.params(); }
  int64_t num_params() const override { return model_.num_params(); }
  TokenizedSet tokenize(const std::vector<Example>& examples,
                        const Tokenizer& tokenizer) const override {
    return tokenize_documents(examples, tokenizer, model_.config());
  }
  double train_step(const Batch& batch, float smoothing, std::mt19937_64& rng) override {
    model_.zero_grad();
    const Mat logits = model_.forward(batch.ids, batch.layout, true, &rng);
    const NextTokenLoss loss = next_token_loss(logits, batch.ids, batch.layout, smoothing, true);
    model_.backward(loss.dlogits);
    return loss.loss;
  }
  Validation validate(const TokenizedSet& set) override {
    const PerplexityResult r = evaluate_perplexity(model_, set);
    const nlohmann::json metrics = {{"perplexity", r.perplexity},
                                    {"nll", r.nll},
                                    {"tokens", r.tokens},
                                    {"documents", r.documents}};
    return {metrics, -r.perplexity,
            fmt::format("valid perplexity {:.3f}  nll {:.4f}  tokens {}", r.perplexity, r.nll,
                        r.tokens)};
  }
  std::string best_key() const override { return "best_valid_perplexity"; }
  double best_value(double score) const override { return -score; }
  double score_of(double best) const override { return -best; }

 private:
  TinyLlamaLm model_;
};

}  // namespace

std::unique_ptr<TrainTask> make_train_task(const ModelConfig& config, uint64_t seed) {
  if (config.is_lm()) return std::make_unique<LmTask>(config, seed);
  return std::make_unique<ClassifierTask>(config, seed);
}

}  // namespace bog::model
