// RMSNorm: y = x / sqrt(mean(x^2) + eps) * gain, per row.
#pragma once

#include "model/layers/norm.h"

namespace bog::model {

class RmsNorm : public Norm {
 public:
  RmsNorm(std::string name, int dim, float eps);
  [[nodiscard]] Mat forward(const Mat& x) override;
  [[nodiscard]] Mat backward(const Mat& dy) override;
  void collect(ParamList& out) override { out.push_back(&gain_); }
  [[nodiscard]] Param& gain() { return gain_; }

 private:
  Param gain_;
  float eps_;
  Mat x_hat_;
  Eigen::VectorXf inv_rms_;
};

}  // namespace bog::model
