// Row-wise normalisation layers behind one interface, so a block can hold either.
#pragma once

#include "model/layers/tensor.h"

namespace bog::model {

class Norm {
 public:
  virtual ~Norm() = default;
  [[nodiscard]] virtual Mat forward(const Mat& x) = 0;
  [[nodiscard]] virtual Mat backward(const Mat& dy) = 0;
  virtual void collect(ParamList& out) = 0;
};

}  // namespace bog::model
