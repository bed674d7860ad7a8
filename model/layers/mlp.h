// Position-wise feed-forward blocks behind one interface.
#pragma once

#include "model/layers/tensor.h"

namespace bog::model {

class Mlp {
 public:
  virtual ~Mlp() = default;
  [[nodiscard]] virtual Mat forward(const Mat& x) = 0;
  [[nodiscard]] virtual Mat backward(const Mat& dy) = 0;
  virtual void collect(ParamList& out) = 0;
};

}  // namespace bog::model
