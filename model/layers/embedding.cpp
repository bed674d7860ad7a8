#include "model/layers/embedding.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bog::model {

Embedding::Embedding(std::string name, int vocab, int dim, std::mt19937_64& rng, float init_std) {
  table_.name = std::move(name);
  table_.value.resize(vocab, dim);
  fill_normal(table_.value, rng, init_std);
  table_.decay = false;
  table_.init_zero_grad();
}

Mat Embedding::forward(std::span<const int> ids) {
  ids_.assign(ids.begin(), ids.end());
  Mat y(static_cast<Eigen::Index>(ids.size()), table_.value.cols());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= table_.value.rows()) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("{}: id {} outside [0, {})", table_.name, ids[i], table_.value.rows()));
    }
    y.row(static_cast<Eigen::Index>(i)) = table_.value.row(ids[i]);
  }
  return y;
}

void Embedding::backward(const Mat& dy) {
  for (size_t i = 0; i < ids_.size(); ++i) {
    table_.grad.row(ids_[i]) += dy.row(static_cast<Eigen::Index>(i));
  }
}

}  // namespace bog::model
