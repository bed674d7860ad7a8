#include "model/layers/swiglu_mlp.h"

#include <cmath>

namespace bog::model {

SwigluMlp::SwigluMlp(std::string name, int d_model, int d_ff, bool bias, std::mt19937_64& rng,
                     float out_init_std)
    : gate_(name + ".gate", d_model, d_ff, bias, rng),
      up_(name + ".up", d_model, d_ff, bias, rng),
      down_(name + ".down", d_ff, d_model, bias, rng, out_init_std) {}

Mat SwigluMlp::forward(const Mat& x) {
  a_ = gate_.forward(x);
  u_ = up_.forward(x);
  const Eigen::ArrayXXf sig = 1.0f / (1.0f + (-a_.array()).exp());
  const Mat h = (a_.array() * sig * u_.array()).matrix();
  return down_.forward(h);
}

Mat SwigluMlp::backward(const Mat& dy) {
  const Mat dh = down_.backward(dy);
  const Eigen::ArrayXXf sig = 1.0f / (1.0f + (-a_.array()).exp());
  const Eigen::ArrayXXf silu = a_.array() * sig;
  const Mat du = (dh.array() * silu).matrix();
  const Mat da = (dh.array() * u_.array() * sig * (1.0f + a_.array() * (1.0f - sig))).matrix();
  Mat dx = gate_.backward(da);
  dx += up_.backward(du);
  return dx;
}

void SwigluMlp::collect(ParamList& out) {
  gate_.collect(out);
  up_.collect(out);
  down_.collect(out);
}

}  // namespace bog::model
