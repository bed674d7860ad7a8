#include "model/layers/transformer_block.h"

#include <cmath>

#include "model/layers/gelu_mlp.h"
#include "model/layers/layer_norm.h"
#include "model/layers/rms_norm.h"
#include "model/layers/swiglu_mlp.h"

namespace bog::model {

std::unique_ptr<Norm> make_norm(const ModelConfig& c, const std::string& name) {
  if (c.norm == NormKind::kRms) return std::make_unique<RmsNorm>(name, c.d_model, c.norm_eps);
  return std::make_unique<LayerNorm>(name, c.d_model, c.norm_eps);
}

TransformerBlock::TransformerBlock(const ModelConfig& c, int index, const Rotary* rotary,
                                   std::mt19937_64& rng)
    : attn_dropout_(c.dropout), mlp_dropout_(c.dropout) {
  const std::string prefix = "blocks." + std::to_string(index);
  // Residual-branch outputs start small so deep stacks begin close to the identity.
  const float out_std = 1.0f / std::sqrt(static_cast<float>(2 * c.n_layers) * c.d_model);
  attn_norm_ = make_norm(c, prefix + ".attn_norm");
  attn_ = std::make_unique<Attention>(prefix + ".attn", c.d_model, c.n_heads, c.n_kv_heads,
                                      c.causal, c.bias, rotary, rng, out_std);
  mlp_norm_ = make_norm(c, prefix + ".mlp_norm");
  if (c.mlp == MlpKind::kSwiglu) {
    mlp_ = std::make_unique<SwigluMlp>(prefix + ".mlp", c.d_model, c.d_ff, c.bias, rng, out_std);
  } else {
    mlp_ = std::make_unique<GeluMlp>(prefix + ".mlp", c.d_model, c.d_ff, c.bias,
                                     c.mlp == MlpKind::kGelu ? GeluKind::kErf : GeluKind::kTanh,
                                     rng, out_std);
  }
}

Mat TransformerBlock::forward(const Mat& x, const SeqLayout& layout, bool training,
                              std::mt19937_64* rng) {
  Mat h = x + attn_dropout_.forward(attn_->forward(attn_norm_->forward(x), layout), training, rng);
  Mat y = mlp_dropout_.forward(mlp_->forward(mlp_norm_->forward(h)), training, rng);
  y += h;
  return y;
}

Mat TransformerBlock::backward(const Mat& dy) {
  Mat dh = dy + mlp_norm_->backward(mlp_->backward(mlp_dropout_.backward(dy)));
  Mat dx = dh + attn_norm_->backward(attn_->backward(attn_dropout_.backward(dh)));
  return dx;
}

Mat TransformerBlock::forward_cached(const Mat& x, KvCache& cache) {
  Mat h = x + attn_->forward_cached(attn_norm_->forward(x), cache);
  Mat y = mlp_->forward(mlp_norm_->forward(h));
  y += h;
  return y;
}

void TransformerBlock::collect(ParamList& out) {
  attn_norm_->collect(out);
  attn_->collect(out);
  mlp_norm_->collect(out);
  mlp_->collect(out);
}

}  // namespace bog::model
