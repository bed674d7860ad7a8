// Multi-head self-attention with grouped-query heads: n_heads query heads share n_kv_heads
// key/value heads (head h reads kv head h / (n_heads / n_kv_heads)). Padding keys are always
// masked; `causal` also masks keys after the query. Padding query rows produce zeros.
#pragma once

#include <memory>

#include "model/layers/linear.h"
#include "model/layers/rotary.h"

namespace bog::model {

// One layer's keys and values for one sequence during incremental decoding: rows [0, length)
// of k and v ([capacity, n_kv_heads * head_dim], keys already rotated) are filled.
struct KvCache {
  Mat k, v;
  int length = 0;
};

class Attention {
 public:
  // `rotary` may be null (learned absolute positions); it must outlive the layer.
  Attention(std::string name, int d_model, int n_heads, int n_kv_heads, bool causal, bool bias,
            const Rotary* rotary, std::mt19937_64& rng, float out_init_std);

  [[nodiscard]] Mat forward(const Mat& x, const SeqLayout& layout);
  [[nodiscard]] Mat backward(const Mat& dy);
  // Inference for the next x.rows() tokens of one sequence at positions cache.length, ...:
  // their keys and values are appended to `cache` (grown as needed) and each query attends
  // causally to every cached key up to its own. Equals forward() on the whole sequence.
  [[nodiscard]] Mat forward_cached(const Mat& x, KvCache& cache);
  void collect(ParamList& out);

 private:
  int n_heads_, n_kv_heads_, head_dim_;
  bool causal_;
  const Rotary* rotary_;
  Linear wq_, wk_, wv_, wo_;
  SeqLayout layout_;
  Mat q_, k_, v_;
  std::vector<Mat> probs_;  // [batch * n_heads] of [len, len]
};

}  // namespace bog::model
