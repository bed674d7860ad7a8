#include "model/lm/tiny_llama_lm.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"

namespace bog::model {

TinyLlamaLm::TinyLlamaLm(const ModelConfig& config, uint64_t seed) : config_(config) {
  validate(config_, "model config");
  if (!config_.is_lm()) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("model config: architecture '{}' is not tiny_llama_lm", config_.architecture));
  }
  std::mt19937_64 rng(seed);
  const ModelConfig& c = config_;
  rotary_ = std::make_unique<Rotary>(c.head_dim(), c.max_len, c.rope_theta, c.rope_scaling,
                                     c.rope_scaling_factor);
  tokens_ = std::make_unique<Embedding>("tok_embeddings", c.vocab_size, c.d_model, rng);
  tokens_->collect(params_);
  for (int i = 0; i < c.n_layers; ++i) {
    blocks_.push_back(std::make_unique<TransformerBlock>(c, i, rotary_.get(), rng));
    blocks_.back()->collect(params_);
  }
  final_norm_ = make_norm(c, "final_norm");
  final_norm_->collect(params_);
  if (!c.tie_embeddings) {
    lm_head_ = std::make_unique<Param>();
    lm_head_->name = "lm_head.weight";
    lm_head_->value.resize(c.d_model, c.vocab_size);
    fill_normal(lm_head_->value, rng, 1.0f / std::sqrt(static_cast<float>(c.d_model)));
    lm_head_->init_zero_grad();
    params_.push_back(lm_head_.get());
  }
}

TinyLlamaLm::~TinyLlamaLm() = default;

Mat TinyLlamaLm::head(const Mat& x) const {
  if (lm_head_) return x * lm_head_->value;
  return x * tokens_->table().value.transpose();
}

Mat TinyLlamaLm::forward(std::span<const int> ids, const SeqLayout& layout, bool training,
                         std::mt19937_64* rng) {
  Mat x = tokens_->forward(ids);
  for (auto& block : blocks_) x = block->forward(x, layout, training, rng);
  final_x_ = final_norm_->forward(x);
  return head(final_x_);
}

void TinyLlamaLm::backward(const Mat& dlogits) {
  Mat dx;
  if (lm_head_) {
    lm_head_->grad.noalias() += final_x_.transpose() * dlogits;
    dx = dlogits * lm_head_->value.transpose();
  } else {
    Param& table = tokens_->table();
    table.grad.noalias() += dlogits.transpose() * final_x_;
    dx = dlogits * table.value;
  }
  dx = final_norm_->backward(dx);
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) dx = (*it)->backward(dx);
  tokens_->backward(dx);
}

Mat TinyLlamaLm::logits(std::span<const int> ids) {
  SeqLayout layout{1, static_cast<int>(ids.size()), {static_cast<int>(ids.size())}};
  return forward(ids, layout, false, nullptr);
}

Mat TinyLlamaLm::forward_cached(std::span<const int> ids, std::vector<KvCache>& caches) {
  if (caches.size() != blocks_.size()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{} caches for {} layers", caches.size(), blocks_.size()));
  }
  Mat x = tokens_->forward(ids);
  for (size_t i = 0; i < blocks_.size(); ++i) x = blocks_[i]->forward_cached(x, caches[i]);
  return head(final_norm_->forward(x));
}

void TinyLlamaLm::zero_grad() {
  for (Param* p : params_) p->grad.setZero();
}

int64_t TinyLlamaLm::num_params() const {
  int64_t n = 0;
  for (const Param* p : params_) n += p->value.size();
  return n;
}

}  // namespace bog::model
