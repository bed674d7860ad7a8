#include "model/layers/dropout.h"

namespace bog::model {

Mat Dropout::forward(const Mat& x, bool training, std::mt19937_64* rng) {
  active_ = training && p_ > 0.0f && rng != nullptr;
  if (!active_) return x;
  const float keep_scale = 1.0f / (1.0f - p_);
  mask_.resize(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < mask_.size(); ++i) {
    mask_.data()[i] = uniform_sample(*rng) < p_ ? 0.0f : keep_scale;
  }
  return x.cwiseProduct(mask_);
}

Mat Dropout::backward(const Mat& dy) const { return active_ ? dy.cwiseProduct(mask_) : dy; }

}  // namespace bog::model
