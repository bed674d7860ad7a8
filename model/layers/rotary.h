// Rotary position embedding in the rotate-half form: within each head of size hd, feature i
// and i + hd/2 are rotated together by angle pos * inv_freq[i], inv_freq[i] = theta^(-2i/hd).
// Linear scaling divides positions by `factor`; NTK scaling raises theta to
// theta * factor^(hd / (hd - 2)) so that long contexts keep their low frequencies.
#pragma once

#include "model/layers/tensor.h"

namespace bog::model {

enum class RopeScaling { kNone, kLinear, kNtk };

class Rotary {
 public:
  Rotary(int head_dim, int max_len, float theta, RopeScaling scaling, float factor);

  // Rotates every head of x ([layout.rows(), n_heads * head_dim]) in place by its row's
  // position (row % seq_len). inverse = true applies the transposed rotation (the backward).
  void apply(Mat& x, int n_heads, const SeqLayout& layout, bool inverse) const;

  // Rotates row r of x by position first + r (one sequence's next rows); positions at or past
  // max_len throw Error(kInvalidArgument).
  void apply_at(Mat& x, int n_heads, int first) const;

  [[nodiscard]] int max_len() const { return max_len_; }

 private:
  void rotate_row(float* row, int n_heads, int pos, float sign) const;

  int head_dim_;
  int max_len_;
  Mat cos_;  // [max_len, head_dim / 2]
  Mat sin_;
};

}  // namespace bog::model
