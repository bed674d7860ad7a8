#include "model/layers/cross_entropy.h"

#include <cmath>

namespace bog::model {

Mat softmax_rows(const Mat& logits) {
  Mat p(logits.rows(), logits.cols());
  for (Eigen::Index r = 0; r < logits.rows(); ++r) {
    const float mx = logits.row(r).maxCoeff();
    p.row(r) = (logits.row(r).array() - mx).exp().matrix();
    p.row(r) /= p.row(r).sum();
  }
  return p;
}

LossResult softmax_cross_entropy(const Mat& logits, std::span<const int> labels, float smoothing) {
  const Eigen::Index n = logits.rows();
  const Eigen::Index c = logits.cols();
  LossResult out;
  out.dlogits.resize(n, c);
  for (Eigen::Index r = 0; r < n; ++r) {
    const float mx = logits.row(r).maxCoeff();
    double sum = 0;
    for (Eigen::Index j = 0; j < c; ++j) sum += std::exp(static_cast<double>(logits(r, j) - mx));
    const double log_z = mx + std::log(sum);
    for (Eigen::Index j = 0; j < c; ++j) {
      const double target = (1.0 - smoothing) * (j == labels[r] ? 1.0 : 0.0) + smoothing / c;
      const double logp = logits(r, j) - log_z;
      out.loss -= target * logp;
      out.dlogits(r, j) = static_cast<float>((std::exp(logp) - target) / n);
    }
  }
  out.loss /= static_cast<double>(n);
  return out;
}

}  // namespace bog::model
