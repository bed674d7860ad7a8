#include "model/layers/pooling.h"

namespace bog::model {

Mat pool_forward(const Mat& x, const SeqLayout& layout, PoolingKind kind) {
  Mat y(layout.batch, x.cols());
  for (int b = 0; b < layout.batch; ++b) {
    const int base = b * layout.seq_len;
    const int len = layout.lengths[b];
    switch (kind) {
      case PoolingKind::kMean:
        y.row(b) = x.middleRows(base, len).colwise().sum() / static_cast<float>(len);
        break;
      case PoolingKind::kLast:
        y.row(b) = x.row(base + len - 1);
        break;
      case PoolingKind::kCls:
        y.row(b) = x.row(base);
        break;
    }
  }
  return y;
}

Mat pool_backward(const Mat& dy, const SeqLayout& layout, PoolingKind kind) {
  Mat dx = Mat::Zero(layout.rows(), dy.cols());
  for (int b = 0; b < layout.batch; ++b) {
    const int base = b * layout.seq_len;
    const int len = layout.lengths[b];
    switch (kind) {
      case PoolingKind::kMean:
        dx.middleRows(base, len).rowwise() = dy.row(b) / static_cast<float>(len);
        break;
      case PoolingKind::kLast:
        dx.row(base + len - 1) = dy.row(b);
        break;
      case PoolingKind::kCls:
        dx.row(base) = dy.row(b);
        break;
    }
  }
  return dx;
}

}  // namespace bog::model
