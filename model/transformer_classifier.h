// A transformer text classifier built from a ModelConfig: token embedding (+ learned positions),
// n pre-norm blocks (attention and MLP with residuals), a final norm, pooling and a linear
// head. Forward keeps what backward needs; backward accumulates into every Param's grad.
#pragma once

#include <memory>
#include <span>

#include "model/layers/dropout.h"
#include "model/layers/embedding.h"
#include "model/layers/transformer_block.h"
#include "model/model_config.h"

namespace bog::model {

class TransformerClassifier {
 public:
  // Validates the config; initial weights are a function of `seed` only.
  TransformerClassifier(const ModelConfig& config, uint64_t seed);
  ~TransformerClassifier();
  TransformerClassifier(const TransformerClassifier&) = delete;
  TransformerClassifier& operator=(const TransformerClassifier&) = delete;

  // ids: layout.rows() token ids (row-major [batch, seq_len], right-padded). Returns logits
  // [batch, n_classes]. `rng` drives dropout and is only used when training.
  [[nodiscard]] Mat forward(std::span<const int> ids, const SeqLayout& layout, bool training,
                            std::mt19937_64* rng);
  void backward(const Mat& dlogits);

  // Parameters in a fixed order with unique names ("blocks.0.attn.wq.weight", ...).
  [[nodiscard]] const ParamList& params() const { return params_; }
  void zero_grad();
  [[nodiscard]] int64_t num_params() const;
  [[nodiscard]] const ModelConfig& config() const { return config_; }

 private:
  ModelConfig config_;
  std::unique_ptr<Rotary> rotary_;
  std::unique_ptr<Embedding> tokens_;
  std::unique_ptr<Embedding> positions_;
  Dropout embed_dropout_;
  std::vector<std::unique_ptr<TransformerBlock>> blocks_;
  std::unique_ptr<Norm> final_norm_;
  std::unique_ptr<Linear> head_;
  ParamList params_;
  SeqLayout layout_;
};

}  // namespace bog::model
