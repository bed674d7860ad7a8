// LayerNorm: y = (x - mean) / sqrt(var + eps) * gain + bias, per row.
#pragma once

#include "model/layers/norm.h"

namespace bog::model {

class LayerNorm : public Norm {
 public:
  LayerNorm(std::string name, int dim, float eps);
  [[nodiscard]] Mat forward(const Mat& x) override;
  [[nodiscard]] Mat backward(const Mat& dy) override;
  void collect(ParamList& out) override {
    out.push_back(&gain_);
    out.push_back(&bias_);
  }
  [[nodiscard]] Param& gain() { return gain_; }
  [[nodiscard]] Param& bias() { return bias_; }

 private:
  Param gain_;
  Param bias_;
  float eps_;
  Mat x_hat_;
  Eigen::VectorXf inv_std_;
};

}  // namespace bog::model
