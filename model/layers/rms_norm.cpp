#include "model/layers/rms_norm.h"

#include <cmath>

namespace bog::model {

RmsNorm::RmsNorm(std::string name, int dim, float eps) : eps_(eps) {
  gain_.name = name + ".weight";
  gain_.value = Mat::Ones(1, dim);
  gain_.decay = false;
  gain_.init_zero_grad();
}

Mat RmsNorm::forward(const Mat& x) {
  const float d = static_cast<float>(x.cols());
  inv_rms_.resize(x.rows());
  x_hat_.resize(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    inv_rms_(r) = 1.0f / std::sqrt(x.row(r).squaredNorm() / d + eps_);
    x_hat_.row(r) = x.row(r) * inv_rms_(r);
  }
  return x_hat_.array().rowwise() * gain_.value.row(0).array();
}

Mat RmsNorm::backward(const Mat& dy) {
  gain_.grad.row(0) += (dy.array() * x_hat_.array()).colwise().sum().matrix();
  const float d = static_cast<float>(dy.cols());
  Mat dx(dy.rows(), dy.cols());
  for (Eigen::Index r = 0; r < dy.rows(); ++r) {
    const RowVec dxh = dy.row(r).cwiseProduct(gain_.value.row(0));
    const float proj = dxh.dot(x_hat_.row(r)) / d;
    dx.row(r) = inv_rms_(r) * (dxh - proj * x_hat_.row(r));
  }
  return dx;
}

}  // namespace bog::model
