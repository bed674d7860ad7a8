#include "model/layers/linear.h"

#include <cmath>

namespace bog::model {

Linear::Linear(std::string name, int in, int out, bool bias, std::mt19937_64& rng, float init_std)
    : has_bias_(bias) {
  weight_.name = name + ".weight";
  weight_.value.resize(in, out);
  fill_normal(weight_.value, rng, init_std > 0 ? init_std : 1.0f / std::sqrt(float(in)));
  weight_.init_zero_grad();
  if (has_bias_) {
    bias_.name = name + ".bias";
    bias_.value = Mat::Zero(1, out);
    bias_.decay = false;
    bias_.init_zero_grad();
  }
}

Mat Linear::forward(const Mat& x) {
  x_ = x;
  Mat y = x * weight_.value;
  if (has_bias_) y.rowwise() += bias_.value.row(0);
  return y;
}

Mat Linear::backward(const Mat& dy) {
  weight_.grad.noalias() += x_.transpose() * dy;
  if (has_bias_) bias_.grad.row(0) += dy.colwise().sum();
  return dy * weight_.value.transpose();
}

void Linear::collect(ParamList& out) {
  out.push_back(&weight_);
  if (has_bias_) out.push_back(&bias_);
}

}  // namespace bog::model
