// Sequence pooling to one vector per sequence: mean over the real tokens, the last real token,
// or the first token (CLS).
#pragma once

#include "model/layers/tensor.h"

namespace bog::model {

enum class PoolingKind { kMean, kLast, kCls };

// x: [layout.rows(), d] -> [layout.batch, d].
[[nodiscard]] Mat pool_forward(const Mat& x, const SeqLayout& layout, PoolingKind kind);
// dy: [layout.batch, d] -> [layout.rows(), d] (zero on rows the pooling did not read).
[[nodiscard]] Mat pool_backward(const Mat& dy, const SeqLayout& layout, PoolingKind kind);

}  // namespace bog::model
