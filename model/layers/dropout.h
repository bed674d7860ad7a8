// Inverted dropout: in training, zeroes each element with probability p and scales the rest by
// 1 / (1 - p); at inference (or p == 0) it is the identity.
#pragma once

#include "model/layers/tensor.h"

namespace bog::model {

class Dropout {
 public:
  explicit Dropout(float p) : p_(p) {}
  // `rng` is only drawn from when training with p > 0, so evaluation never moves it.
  [[nodiscard]] Mat forward(const Mat& x, bool training, std::mt19937_64* rng);
  [[nodiscard]] Mat backward(const Mat& dy) const;

 private:
  float p_;
  bool active_ = false;
  Mat mask_;
};

}  // namespace bog::model
