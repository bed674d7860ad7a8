// Token (or position) embedding: a lookup table [vocab, d].
#pragma once

#include <span>

#include "model/layers/tensor.h"

namespace bog::model {

class Embedding {
 public:
  Embedding(std::string name, int vocab, int dim, std::mt19937_64& rng, float init_std = 0.02f);

  // One output row per id; an id outside [0, vocab) throws Error(kInvalidArgument).
  [[nodiscard]] Mat forward(std::span<const int> ids);
  // Adds each row of `dy` to the gradient row of the id it came from.
  void backward(const Mat& dy);

  void collect(ParamList& out) { out.push_back(&table_); }
  [[nodiscard]] Param& table() { return table_; }

 private:
  Param table_;
  std::vector<int> ids_;
};

}  // namespace bog::model
