// Fully connected layer y = x W + b with W stored [in, out] (so rows of x map to rows of y).
#pragma once

#include "model/layers/tensor.h"

namespace bog::model {

class Linear {
 public:
  // Weights ~ Normal(0, init_std); init_std <= 0 means 1/sqrt(in).
  Linear(std::string name, int in, int out, bool bias, std::mt19937_64& rng, float init_std = 0.0f);

  [[nodiscard]] Mat forward(const Mat& x);
  // Accumulates dW, db and returns dx; uses the input of the last forward().
  [[nodiscard]] Mat backward(const Mat& dy);

  void collect(ParamList& out);
  [[nodiscard]] Param& weight() { return weight_; }
  [[nodiscard]] Param& bias() { return bias_; }
  [[nodiscard]] bool has_bias() const { return has_bias_; }

 private:
  Param weight_;
  Param bias_;
  bool has_bias_;
  Mat x_;
};

}  // namespace bog::model
