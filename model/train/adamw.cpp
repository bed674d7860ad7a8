#include "model/train/adamw.h"

#include <cmath>
#include <numbers>

namespace bog::model {

AdamW::AdamW(const ParamList& params, AdamWOptions options) : params_(params), options_(options) {
  for (const Param* p : params_) {
    m_.push_back(Mat::Zero(p->value.rows(), p->value.cols()));
    v_.push_back(Mat::Zero(p->value.rows(), p->value.cols()));
  }
}

void AdamW::step(float lr) {
  ++steps_;
  const float b1 = options_.beta1;
  const float b2 = options_.beta2;
  const float c1 = 1.0f - static_cast<float>(std::pow(b1, static_cast<double>(steps_)));
  const float c2 = 1.0f - static_cast<float>(std::pow(b2, static_cast<double>(steps_)));
  const float step_size = lr / c1;
  const float inv_sqrt_c2 = 1.0f / std::sqrt(c2);
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = *params_[i];
    auto m = m_[i].array();
    auto v = v_[i].array();
    const auto g = p.grad.array();
    if (p.decay && options_.weight_decay > 0) p.value *= 1.0f - lr * options_.weight_decay;
    m = b1 * m + (1.0f - b1) * g;
    v = b2 * v + (1.0f - b2) * g.square();
    p.value.array() -= step_size * m / (v.sqrt() * inv_sqrt_c2 + options_.eps);
  }
}

double clip_grad_norm(const ParamList& params, float max_norm) {
  double sq = 0;
  for (const Param* p : params) sq += static_cast<double>(p->grad.squaredNorm());
  const double norm = std::sqrt(sq);
  if (max_norm > 0 && norm > max_norm) {
    const float scale = static_cast<float>(max_norm / (norm + 1e-6));
    for (Param* p : params) p->grad *= scale;
  }
  return norm;
}

float warmup_cosine_lr(int64_t step, int64_t warmup, int64_t total, float peak, float min_ratio) {
  if (warmup > 0 && step < warmup) return peak * static_cast<float>(step + 1) / warmup;
  if (total <= warmup) return peak;
  const double progress =
      std::min(1.0, static_cast<double>(step - warmup) / static_cast<double>(total - warmup));
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return peak * static_cast<float>(min_ratio + (1.0 - min_ratio) * cosine);
}

}  // namespace bog::model
