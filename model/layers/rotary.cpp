#include "model/layers/rotary.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"

namespace bog::model {

Rotary::Rotary(int head_dim, int max_len, float theta, RopeScaling scaling, float factor)
    : head_dim_(head_dim), max_len_(max_len) {
  const int half = head_dim / 2;
  double base = theta;
  double position_scale = 1.0;
  if (scaling == RopeScaling::kLinear) position_scale = 1.0 / factor;
  if (scaling == RopeScaling::kNtk && head_dim > 2) {
    base = theta *
           std::pow(static_cast<double>(factor), static_cast<double>(head_dim) / (head_dim - 2));
  }
  cos_.resize(max_len, half);
  sin_.resize(max_len, half);
  for (int p = 0; p < max_len; ++p) {
    for (int i = 0; i < half; ++i) {
      const double inv_freq = std::pow(base, -2.0 * i / head_dim);
      const double angle = p * position_scale * inv_freq;
      cos_(p, i) = static_cast<float>(std::cos(angle));
      sin_(p, i) = static_cast<float>(std::sin(angle));
    }
  }
}

void Rotary::apply(Mat& x, int n_heads, const SeqLayout& layout, bool inverse) const {
  if (layout.seq_len > max_len_) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("sequence length {} exceeds max_len {}", layout.seq_len, max_len_));
  }
  const float sign = inverse ? -1.0f : 1.0f;
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    rotate_row(x.row(r).data(), n_heads, static_cast<int>(r % layout.seq_len), sign);
  }
}

void Rotary::apply_at(Mat& x, int n_heads, int first) const {
  if (first < 0 || first + x.rows() > max_len_) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("positions {}..{} exceed max_len {}", first, first + x.rows() - 1, max_len_));
  }
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    rotate_row(x.row(r).data(), n_heads, first + static_cast<int>(r), 1.0f);
  }
}

void Rotary::rotate_row(float* row, int n_heads, int pos, float sign) const {
  const int half = head_dim_ / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* head = row + h * head_dim_;
    for (int i = 0; i < half; ++i) {
      const float c = cos_(pos, i);
      const float s = sign * sin_(pos, i);
      const float a = head[i];
      const float b = head[i + half];
      head[i] = a * c - b * s;
      head[i + half] = b * c + a * s;
    }
  }
}

}  // namespace bog::model
