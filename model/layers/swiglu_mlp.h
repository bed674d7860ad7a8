// SwiGLU feed-forward: y = (silu(x W_gate) * (x W_up)) W_down.
#pragma once

#include "model/layers/linear.h"
#include "model/layers/mlp.h"

namespace bog::model {

class SwigluMlp : public Mlp {
 public:
  SwigluMlp(std::string name, int d_model, int d_ff, bool bias, std::mt19937_64& rng,
            float out_init_std);
  [[nodiscard]] Mat forward(const Mat& x) override;
  [[nodiscard]] Mat backward(const Mat& dy) override;
  void collect(ParamList& out) override;

 private:
  Linear gate_, up_, down_;
  Mat a_, u_;  // gate pre-activation, up projection
};

}  // namespace bog::model
