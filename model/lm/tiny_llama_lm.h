// The decoder LM of `architecture: tiny_llama_lm`: token embedding, n pre-norm causal blocks
// (RMSNorm, RoPE, grouped-query attention, SwiGLU), a final norm and a vocabulary head (the
// embedding's transpose with tie_embeddings, else its own [d_model, vocab] "lm_head.weight").
// Forward keeps what backward needs; backward accumulates into every Param's grad.
#pragma once

#include <memory>
#include <span>

#include "model/layers/embedding.h"
#include "model/layers/transformer_block.h"
#include "model/model_config.h"

namespace bog::model {

class TinyLlamaLm {
 public:
  // Validates the config (architecture tiny_llama_lm); initial weights depend on `seed` only.
  TinyLlamaLm(const ModelConfig& config, uint64_t seed);
  ~TinyLlamaLm();
  TinyLlamaLm(const TinyLlamaLm&) = delete;
  TinyLlamaLm& operator=(const TinyLlamaLm&) = delete;

  // ids: [batch, seq_len] row-major, right-padded (layout.lengths real tokens each). Returns
  // logits [layout.rows(), vocab]: row b * seq_len + t scores the token after position t (rows
  // of padding hold values nobody should read). `rng` drives dropout when training.
  [[nodiscard]] Mat forward(std::span<const int> ids, const SeqLayout& layout, bool training,
                            std::mt19937_64* rng);
  void backward(const Mat& dlogits);

  // One sequence, inference: logits [ids.size(), vocab].
  [[nodiscard]] Mat logits(std::span<const int> ids);

  [[nodiscard]] const ParamList& params() const { return params_; }
  void zero_grad();
  [[nodiscard]] int64_t num_params() const;
  [[nodiscard]] const ModelConfig& config() const { return config_; }

  // For incremental decoding (LmEager): the next rows of one sequence through every block.
  // caches.size() == n_layers; returns logits for the new rows.
  [[nodiscard]] Mat forward_cached(std::span<const int> ids, std::vector<KvCache>& caches);

 private:
  Mat head(const Mat& x) const;

  ModelConfig config_;
  std::unique_ptr<Rotary> rotary_;
  std::unique_ptr<Embedding> tokens_;
  std::vector<std::unique_ptr<TransformerBlock>> blocks_;
  std::unique_ptr<Norm> final_norm_;
  std::unique_ptr<Param> lm_head_;  // [d_model, vocab] when not tied
  ParamList params_;
  Mat final_x_;  // the final norm's output of the last forward()
};

}  // namespace bog::model
