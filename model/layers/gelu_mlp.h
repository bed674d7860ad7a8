// GELU feed-forward: y = gelu(x W1 + b1) W2 + b2, with the exact (erf) or tanh GELU.
#pragma once

#include "model/layers/linear.h"
#include "model/layers/mlp.h"

namespace bog::model {

enum class GeluKind { kErf, kTanh };

// Elementwise GELU and its derivative, exposed for tests.
float gelu(float a, GeluKind kind);
float gelu_grad(float a, GeluKind kind);

class GeluMlp : public Mlp {
 public:
  GeluMlp(std::string name, int d_model, int d_ff, bool bias, GeluKind kind, std::mt19937_64& rng,
          float out_init_std);
  [[nodiscard]] Mat forward(const Mat& x) override;
  [[nodiscard]] Mat backward(const Mat& dy) override;
  void collect(ParamList& out) override;

 private:
  GeluKind kind_;
  Linear fc1_, fc2_;
  Mat a_;
};

}  // namespace bog::model
