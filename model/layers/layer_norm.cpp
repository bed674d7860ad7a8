#include "model/layers/layer_norm.h"

#include <cmath>

namespace bog::model {

LayerNorm::LayerNorm(std::string name, int dim, float eps) : eps_(eps) {
  gain_.name = name + ".weight";
  gain_.value = Mat::Ones(1, dim);
  gain_.decay = false;
  gain_.init_zero_grad();
  bias_.name = name + ".bias";
  bias_.value = Mat::Zero(1, dim);
  bias_.decay = false;
  bias_.init_zero_grad();
}

Mat LayerNorm::forward(const Mat& x) {
  inv_std_.resize(x.rows());
  x_hat_.resize(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float mean = x.row(r).mean();
    const RowVec centered = x.row(r).array() - mean;
    const float var = centered.squaredNorm() / static_cast<float>(x.cols());
    inv_std_(r) = 1.0f / std::sqrt(var + eps_);
    x_hat_.row(r) = centered * inv_std_(r);
  }
  Mat y = x_hat_.array().rowwise() * gain_.value.row(0).array();
  y.rowwise() += bias_.value.row(0);
  return y;
}

Mat LayerNorm::backward(const Mat& dy) {
  gain_.grad.row(0) += (dy.array() * x_hat_.array()).colwise().sum().matrix();
  bias_.grad.row(0) += dy.colwise().sum();
  const float d = static_cast<float>(dy.cols());
  Mat dx(dy.rows(), dy.cols());
  for (Eigen::Index r = 0; r < dy.rows(); ++r) {
    const RowVec dxh = dy.row(r).cwiseProduct(gain_.value.row(0));
    const float mean_dxh = dxh.sum() / d;
    const float proj = dxh.dot(x_hat_.row(r)) / d;
    dx.row(r) = inv_std_(r) * (dxh.array() - mean_dxh - proj * x_hat_.row(r).array()).matrix();
  }
  return dx;
}

}  // namespace bog::model
