// Shared types for the Eigen models: row-major float32 activations [tokens, features] and
// trainable parameters that carry their own gradient.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace bog::model {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// A trainable tensor. `value` and `grad` have the same shape; 1-D tensors are stored as
// 1 x n. `decay` says whether AdamW applies weight decay (off for norms, biases, embeddings).
struct Param {
  std::string name;
  Mat value;
  Mat grad;
  bool decay = true;

  void init_zero_grad() { grad = Mat::Zero(value.rows(), value.cols()); }
};

using ParamList = std::vector<Param*>;

// How rows of an activation matrix map to sequences: `batch` sequences of `seq_len` rows each
// (row b * seq_len + t), right-padded; `lengths[b]` (>= 1) rows of sequence b are real tokens.
struct SeqLayout {
  int batch = 0;
  int seq_len = 0;
  std::vector<int> lengths;

  [[nodiscard]] int rows() const { return batch * seq_len; }
};

// Normal(0, stddev) samples from a 64-bit Mersenne twister by Box-Muller, written here so that
// initial weights are identical with every standard library.
float normal_sample(std::mt19937_64& rng, float stddev);

// Uniform [0, 1) from the top 24 bits of one draw (portable, unlike uniform_real_distribution).
float uniform_sample(std::mt19937_64& rng);

void fill_normal(Mat& m, std::mt19937_64& rng, float stddev);

}  // namespace bog::model
