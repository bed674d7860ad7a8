#include "model/transformer_classifier.h"

#include <cmath>

namespace bog::model {
TransformerClassifier::TransformerClassifier(const ModelConfig& config, uint64_t seed)
    : config_(config), embed_dropout_(config.dropout) {
  validate(config_, "model config");
  std::mt19937_64 rng(seed);
  const ModelConfig& c = config_;
  if (c.positions == PositionKind::kRope) {
    rotary_ = std::make_unique<Rotary>(c.head_dim(), c.max_len, c.rope_theta, c.rope_scaling,
                                       c.rope_scaling_factor);
  }
  tokens_ = std::make_unique<Embedding>("tok_embeddings", c.vocab_size, c.d_model, rng);
  tokens_->collect(params_);
  if (c.positions == PositionKind::kLearned) {
    positions_ = std::make_unique<Embedding>("pos_embeddings", c.max_len, c.d_model, rng);
    positions_->collect(params_);
  }
  for (int i = 0; i < c.n_layers; ++i) {
    blocks_.push_back(std::make_unique<TransformerBlock>(c, i, rotary_.get(), rng));
    blocks_.back()->collect(params_);
  }
  final_norm_ = make_norm(c, "final_norm");
  final_norm_->collect(params_);
  head_ = std::make_unique<Linear>("head", c.d_model, c.n_classes, true, rng,
                                   1.0f / std::sqrt(static_cast<float>(c.d_model)));
  head_->collect(params_);
}

TransformerClassifier::~TransformerClassifier() = default;

Mat TransformerClassifier::forward(std::span<const int> ids, const SeqLayout& layout, bool training,
                                   std::mt19937_64* rng) {
  layout_ = layout;
  Mat x = tokens_->forward(ids);
  if (positions_) {
    std::vector<int> pos(static_cast<size_t>(layout.rows()));
    for (int r = 0; r < layout.rows(); ++r) pos[r] = r % layout.seq_len;
    x += positions_->forward(pos);
  }
  x = embed_dropout_.forward(x, training, rng);
  for (auto& block : blocks_) x = block->forward(x, layout, training, rng);
  x = final_norm_->forward(x);
  return head_->forward(pool_forward(x, layout, config_.pooling));
}

void TransformerClassifier::backward(const Mat& dlogits) {
  Mat dx = final_norm_->backward(pool_backward(head_->backward(dlogits), layout_, config_.pooling));
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) dx = (*it)->backward(dx);
  dx = embed_dropout_.backward(dx);
  tokens_->backward(dx);
  if (positions_) positions_->backward(dx);
}

void TransformerClassifier::zero_grad() {
  for (Param* p : params_) p->grad.setZero();
}

int64_t TransformerClassifier::num_params() const {
  int64_t n = 0;
  for (const Param* p : params_) n += p->value.size();
  return n;
}

}  // namespace bog::model
