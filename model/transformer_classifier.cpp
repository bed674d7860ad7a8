#include "model/transformer_classifier.h"

#include <cmath>

#include "model/layers/layer_norm.h"
#include "model/layers/rms_norm.h"
#include "model/layers/swiglu_mlp.h"

namespace bog::model {
namespace {

std::unique_ptr<Norm> make_norm(const ModelConfig& c, const std::string& name) {
  if (c.norm == NormKind::kRms) return std::make_unique<RmsNorm>(name, c.d_model, c.norm_eps);
  return std::make_unique<LayerNorm>(name, c.d_model, c.norm_eps);
}

}  // namespace

struct TransformerClassifier::Block {
  std::unique_ptr<Norm> attn_norm;
  std::unique_ptr<Attention> attn;
  Dropout attn_dropout;
  std::unique_ptr<Norm> mlp_norm;
  std::unique_ptr<Mlp> mlp;
  Dropout mlp_dropout;

  Block(const ModelConfig& c, int index, const Rotary* rotary, std::mt19937_64& rng)
      : attn_dropout(c.dropout), mlp_dropout(c.dropout) {
    const std::string prefix = "blocks." + std::to_string(index);
    // Residual-branch outputs start small so deep stacks begin close to the identity.
    const float out_std = 1.0f / std::sqrt(static_cast<float>(2 * c.n_layers) * c.d_model);
    attn_norm = make_norm(c, prefix + ".attn_norm");
    attn = std::make_unique<Attention>(prefix + ".attn", c.d_model, c.n_heads, c.n_kv_heads,
                                       c.causal, c.bias, rotary, rng, out_std);
    mlp_norm = make_norm(c, prefix + ".mlp_norm");
    if (c.mlp == MlpKind::kSwiglu) {
      mlp = std::make_unique<SwigluMlp>(prefix + ".mlp", c.d_model, c.d_ff, c.bias, rng, out_std);
    } else {
      mlp = std::make_unique<GeluMlp>(prefix + ".mlp", c.d_model, c.d_ff, c.bias,
                                      c.mlp == MlpKind::kGelu ? GeluKind::kErf : GeluKind::kTanh,
                                      rng, out_std);
    }
  }

  Mat forward(const Mat& x, const SeqLayout& layout, bool training, std::mt19937_64* rng) {
    Mat h = x + attn_dropout.forward(attn->forward(attn_norm->forward(x), layout), training, rng);
    Mat y = mlp_dropout.forward(mlp->forward(mlp_norm->forward(h)), training, rng);
    y += h;
    return y;
  }

  Mat backward(const Mat& dy) {
    Mat dh = dy + mlp_norm->backward(mlp->backward(mlp_dropout.backward(dy)));
    Mat dx = dh + attn_norm->backward(attn->backward(attn_dropout.backward(dh)));
    return dx;
  }

  void collect(ParamList& out) {
    attn_norm->collect(out);
    attn->collect(out);
    mlp_norm->collect(out);
    mlp->collect(out);
  }
};

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
    blocks_.push_back(std::make_unique<Block>(c, i, rotary_.get(), rng));
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
