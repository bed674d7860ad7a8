// One pre-norm transformer block: x + attn(norm(x)), then h + mlp(norm(h)), with dropout on
// both residual branches. Shared by the classifier and the decoder LM.
#pragma once

#include <memory>

#include "model/layers/attention.h"
#include "model/layers/dropout.h"
#include "model/layers/mlp.h"
#include "model/layers/norm.h"
#include "model/model_config.h"

namespace bog::model {

class TransformerBlock {
 public:
  // `rotary` may be null (learned positions); it must outlive the block.
  TransformerBlock(const ModelConfig& c, int index, const Rotary* rotary, std::mt19937_64& rng);

  [[nodiscard]] Mat forward(const Mat& x, const SeqLayout& layout, bool training,
                            std::mt19937_64* rng);
  [[nodiscard]] Mat backward(const Mat& dy);
  // Inference on the next rows of one sequence, reading and extending `cache` (see
  // Attention::forward_cached). Overwrites what backward() would need.
  [[nodiscard]] Mat forward_cached(const Mat& x, KvCache& cache);
  void collect(ParamList& out);

 private:
  std::unique_ptr<Norm> attn_norm_;
  std::unique_ptr<Attention> attn_;
  Dropout attn_dropout_;
  std::unique_ptr<Norm> mlp_norm_;
  std::unique_ptr<Mlp> mlp_;
  Dropout mlp_dropout_;
};

std::unique_ptr<Norm> make_norm(const ModelConfig& c, const std::string& name);

}  // namespace bog::model
