// AdamW (decoupled weight decay) with bias correction; decay applies only to params marked
// `decay`. Its moments are named after the params so checkpoints can store and restore them.
#pragma once

#include "model/layers/tensor.h"

namespace bog::model {

struct AdamWOptions {
  float beta1 = 0.9f;
  float beta2 = 0.98f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
};

class AdamW {
 public:
  AdamW(const ParamList& params, AdamWOptions options);

  // One update with learning rate `lr` from each param's grad; advances the step count.
  void step(float lr);

  [[nodiscard]] int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }
  [[nodiscard]] std::vector<Mat>& first_moments() { return m_; }
  [[nodiscard]] std::vector<Mat>& second_moments() { return v_; }
  [[nodiscard]] const std::vector<Mat>& first_moments() const { return m_; }
  [[nodiscard]] const std::vector<Mat>& second_moments() const { return v_; }

 private:
  ParamList params_;
  AdamWOptions options_;
  std::vector<Mat> m_, v_;
  int64_t steps_ = 0;
};

// Global L2 norm of all gradients; when above max_norm > 0 they are scaled down to it.
// Returns the norm before clipping.
double clip_grad_norm(const ParamList& params, float max_norm);

// Linear warm-up to `peak` over warmup steps, then cosine decay to peak * min_ratio at total.
[[nodiscard]] float warmup_cosine_lr(int64_t step, int64_t warmup, int64_t total, float peak,
                                     float min_ratio);

}  // namespace bog::model
